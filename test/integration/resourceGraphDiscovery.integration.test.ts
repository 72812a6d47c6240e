import { ManagedIdentityCredential } from '@azure/identity';
import { supportedDiscoveryQuery } from '../../emulator/resourceGraph/MicrosoftResourceGraphProvider';
import { ResourceGraphClient } from '../../src/azure/core/resourceGraph';
import { ArmTargetDiscovery, managementGroupDiscoveryQuery, type DiscoveryLimits } from '../../src/azure/logicApps/ArmTargetDiscovery';
import { loadSettings } from '../../src/composition/config';
import { subscriptionSequence, uniqueName, useEmulator } from '../support/emulatorEnvironment';

/**
 * Management-group scopes (docs/design.md §4.5): one Azure Resource Graph query over the group's
 * subscriptions, through sas-rotator's own pipeline (bearer auth, retry policy) against the emulator's
 * Resource Graph, whose every exchange is checked against the published 2022-10-01 spec.
 */
const emulator = useEmulator({ environment: 'managedIdentity' });
const newSubscription = subscriptionSequence('9a11e4a0');

const discovery = (limits: Partial<DiscoveryLimits> = {}) =>
  new ArmTargetDiscovery(new ManagedIdentityCredential(), emulator.armEndpoint, 30, undefined, {
    maxPages: 1000,
    budgetMs: 60_000,
    ...limits,
  });

const graphRequests = (since: number) =>
  emulator.requests.slice(since).filter((record) => record.service === 'arm' && record.operationId === 'Resources');

/** A management group of `count` subscriptions, each with one tagged and one untagged Consumption workflow. */
function seedGroup(count: number, tags: Record<string, string> = { 'sas-rotation': 'enabled' }) {
  const group = uniqueName('mg-rg');
  const subscriptions = Array.from({ length: count }, () => newSubscription());
  emulator.resourceGraph.addManagementGroup(group, subscriptions);
  const tagged = subscriptions.map((subscriptionId, index) =>
    emulator.logic.addWorkflow({ subscriptionId, resourceGroup: 'rg-apps', name: `tagged-${group}-${index}`, tags }),
  );
  for (const [index, subscriptionId] of subscriptions.entries()) {
    emulator.logic.addWorkflow({ subscriptionId, resourceGroup: 'rg-apps', name: `untagged-${group}-${index}` });
  }
  return { group, subscriptions, tagged };
}

afterEach(() => {
  emulator.resourceGraph.quota = { queries: 15, windowSeconds: 5 };
  emulator.resourceGraph.resetQuotas();
});

describe('management-group discovery through Resource Graph', () => {
  it('sends the very query the emulator evaluates', () => {
    expect(managementGroupDiscoveryQuery).toBe(supportedDiscoveryQuery);
  });

  it('finds exactly the tagged targets of 3 subscriptions (Consumption and a Standard site), with one query and one listing per tagged site', async () => {
    const { group, subscriptions, tagged } = seedGroup(3);
    // Case-insensitive tag name and value, as the ARM listings read them.
    const shouting = emulator.logic.addWorkflow({
      subscriptionId: subscriptions[1] as string,
      resourceGroup: 'rg-other',
      name: `shouting-${group}`,
      tags: { 'SAS-Rotation': ' Enabled ', 'sas-rotation-secret': `shouting-secret-${group}` },
    });
    emulator.logic.addWorkflow({
      subscriptionId: subscriptions[2] as string,
      resourceGroup: 'rg-apps',
      name: `disabled-${group}`,
      tags: { 'sas-rotation': 'disabled' },
    });
    const site = uniqueName('la-mg');
    const siteWorkflows = ['orders', 'invoices'].map((name) =>
      emulator.logic.addStandardWorkflow({
        subscriptionId: subscriptions[2] as string,
        resourceGroup: 'rg-standard',
        site,
        name,
        siteTags: { 'sas-rotation': 'enabled' },
      }),
    );
    emulator.logic.addStandardWorkflow({
      subscriptionId: subscriptions[0] as string,
      resourceGroup: 'rg-standard',
      site: uniqueName('la-untagged'),
      name: 'quiet',
    });
    // Outside the group: never found.
    emulator.logic.addWorkflow({
      subscriptionId: newSubscription(),
      resourceGroup: 'rg-apps',
      name: `outside-${group}`,
      tags: { 'sas-rotation': 'enabled' },
    });

    const since = emulator.requests.length;
    const result = await discovery().discover([{ managementGroupId: group }]);

    expect(result.problems).toEqual([]);
    expect(result.targets.map((target) => target.workflowId.toLowerCase()).sort()).toEqual(
      [...tagged, shouting, ...siteWorkflows].map((id) => id.toLowerCase()).sort(),
    );
    const where = `/providers/Microsoft.Management/managementGroups/${group}`;
    expect(new Set(result.targets.map((target) => target.discoveredIn))).toEqual(new Set([where]));
    expect(result.targets.find((target) => target.workflowId === shouting)?.secretName).toBe(`shouting-secret-${group}`);
    expect(result.targets.filter((target) => target.discoveredFromSite).length).toBe(2);
    const arm = emulator.requests.slice(since).filter((record) => record.service === 'arm');
    expect(arm.map((record) => record.operationId)).toEqual(['Resources', 'WebApps_ListWorkflows']);
  });

  it('follows $skipToken across several pages', async () => {
    const { group, tagged } = seedGroup(7);
    const since = emulator.requests.length;
    const result = await discovery({ resourceGraphPageSize: 2 }).discover([{ managementGroupId: group }]);
    expect(result.problems).toEqual([]);
    expect(result.targets.map((target) => target.workflowId).sort()).toEqual([...tagged].sort());
    expect(graphRequests(since)).toHaveLength(4);
  });

  it('a repeated $skipToken is a paging loop, and a page cap ends the query: problems, with what was read kept', async () => {
    const { group } = seedGroup(5);
    const capped = await discovery({ resourceGraphPageSize: 1, maxPages: 3 }).discover([{ managementGroupId: group }]);
    expect(capped.targets).toHaveLength(3);
    expect(capped.problems).toEqual([expect.objectContaining({ operation: 'Resources', errorCode: 'PageLimitReached' })]);
  });

  it('waits for the quota window when x-ms-user-quota-remaining reaches 0, and completes', async () => {
    const { group, tagged } = seedGroup(4);
    emulator.resourceGraph.quota = { queries: 2, windowSeconds: 2 };
    emulator.resourceGraph.resetQuotas();
    const since = emulator.requests.length;
    const started = Date.now();
    const result = await discovery({ resourceGraphPageSize: 1 }).discover([{ managementGroupId: group }]);
    expect(result.problems).toEqual([]);
    expect(result.targets.map((target) => target.workflowId).sort()).toEqual([...tagged].sort());
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    // It waited instead of bouncing off the quota: no 429.
    expect(graphRequests(since).map((record) => record.status)).toEqual([200, 200, 200, 200]);
  });

  it('a 429 with the quota headers is waited out the same way', async () => {
    const { group, tagged } = seedGroup(2);
    emulator.resourceGraph.quota = { queries: 1, windowSeconds: 2 };
    emulator.resourceGraph.resetQuotas();
    emulator.resourceGraph.take(emulator.managedIdentity.objectId); // another client of the same identity used the quota
    const since = emulator.requests.length;
    const result = await discovery().discover([{ managementGroupId: group }]);
    expect(result.problems).toEqual([]);
    expect(result.targets.map((target) => target.workflowId).sort()).toEqual([...tagged].sort());
    expect(graphRequests(since).map((record) => record.status)).toEqual([429, 200]);
  });

  it('a quota that resets only after the discovery budget is a problem (ResourceGraphThrottled), with the pages read kept', async () => {
    const { group } = seedGroup(4);
    emulator.resourceGraph.quota = { queries: 2, windowSeconds: 600 };
    emulator.resourceGraph.resetQuotas();
    const started = Date.now();
    const result = await discovery({ resourceGraphPageSize: 1, budgetMs: 5_000 }).discover([{ managementGroupId: group }]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.targets).toHaveLength(2);
    expect(result.problems).toEqual([
      expect.objectContaining({
        scope: `/providers/Microsoft.Management/managementGroups/${group}`,
        operation: 'Resources',
        errorCode: 'ResourceGraphThrottled',
      }),
    ]);
  });

  it('an unknown management group is a problem, never an empty estate', async () => {
    const result = await discovery().discover([{ managementGroupId: uniqueName('mg-nowhere') }]);
    expect(result.targets).toEqual([]);
    expect(result.problems).toEqual([expect.objectContaining({ operation: 'Resources', statusCode: 400, errorCode: 'BadRequest' })]);
  });

  it("the emulator is no KQL engine: any other query is a 400 BadRequest in Resource Graph's error shape", async () => {
    const { group } = seedGroup(1);
    const client = new ResourceGraphClient(new ManagedIdentityCredential(), emulator.armEndpoint);
    await expect(
      client.queryPage({ query: 'resources | take 1', managementGroups: [group], top: 1 }, undefined, AbortSignal.timeout(30_000)),
    ).rejects.toMatchObject({ statusCode: 400, code: 'BadRequest' });
  });

  it('a management-group scope mixes with subscription scopes, each target once', async () => {
    const { group, subscriptions, tagged } = seedGroup(2);
    const settings = loadSettings({
      KEY_VAULT_URI: emulator.keyVaultUri,
      ROTATION_DISCOVERY: `/providers/Microsoft.Management/managementGroups/${group},/subscriptions/${subscriptions[0] ?? ''}`,
    });
    const result = await discovery().discover(settings.discoveryScopes);
    expect(result.problems).toEqual([]);
    expect(result.targets.map((target) => target.workflowId).sort()).toEqual([...tagged].sort());
  });
});
