import { ManagedIdentityCredential } from '@azure/identity';
import { supportedDiscoveryQuery, supportedSubscriptionsQuery } from '../../emulator/resourceGraph/MicrosoftResourceGraphProvider';
import { ResourceGraphClient } from '../../src/azure/core/resourceGraph';
import {
  ArmTargetDiscovery,
  managementGroupDiscoveryQuery,
  managementGroupSubscriptionsQuery,
  type DiscoveryLimits,
} from '../../src/azure/logicApps/ArmTargetDiscovery';
import { managementGroupSubscriptionsTtlMs } from '../../src/azure/logicApps/ManagementGroupSubscriptions';
import { loadSettings } from '../../src/composition/config';
import { subscriptionSequence, uniqueName, useEmulator } from '../support/emulatorEnvironment';

/**
 * Management-group scopes (docs/design.md §4.5): one Azure Resource Graph query over the group's
 * subscriptions, through sas-rotator's own pipeline (bearer auth, retry policy) against the emulator's
 * Resource Graph, whose every exchange is checked against the published 2022-10-01 spec.
 */
const emulator = useEmulator({ environment: 'managedIdentity' });
const newSubscription = subscriptionSequence('9a11e4a0');

const discovery = (limits: Partial<DiscoveryLimits> = {}, now?: () => number) =>
  new ArmTargetDiscovery(
    new ManagedIdentityCredential(),
    emulator.armEndpoint,
    30,
    undefined,
    { maxPages: 1000, budgetMs: 60_000, ...limits },
    now,
  );

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
  it('sends the very queries the emulator evaluates', () => {
    expect(managementGroupDiscoveryQuery).toBe(supportedDiscoveryQuery);
    expect(managementGroupSubscriptionsQuery).toBe(supportedSubscriptionsQuery);
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

/**
 * A fan-out worker's confirmation of a target only a management-group scope covers (docs/design.md §11.1): which
 * subscriptions the group holds comes from one Resource Graph query, paged and throttled like discovery's, kept
 * per process for a bounded time; then one ARM GET, as for a subscription scope.
 */
describe('confirming a management-group target (ArmTargetDiscovery.confirm)', () => {
  const armOperations = (since: number) =>
    emulator.requests
      .slice(since)
      .filter((record) => record.service === 'arm')
      .map((record) => record.operationId);

  it('confirms a workflow of a subscription the group holds with one query and one GET, in the scope discovery names', async () => {
    const { group, tagged } = seedGroup(3);
    const scopes = [{ managementGroupId: group }];
    const discovered = await discovery().discover(scopes);
    const since = emulator.requests.length;

    const confirmation = await discovery().confirm(tagged[2] as string, scopes);

    expect(confirmation).toEqual({
      target: expect.objectContaining({ workflowId: tagged[2], secretName: `tagged-${group}-2-manual-url` }),
    });
    const target = 'target' in confirmation ? confirmation.target : undefined;
    expect(target?.discoveredIn).toBe(`/providers/Microsoft.Management/managementGroups/${group}`);
    expect(target).toEqual(discovered.targets.find((candidate) => candidate.workflowId === tagged[2]));
    expect(armOperations(since)).toEqual(['Resources', 'Workflows_Get']);
  });

  it('a workflow of a subscription outside every group is not a target, and costs no GET', async () => {
    const { group } = seedGroup(1);
    const outside = emulator.logic.addWorkflow({
      subscriptionId: newSubscription(),
      resourceGroup: 'rg-apps',
      name: `outside-${group}`,
      tags: { 'sas-rotation': 'enabled' },
    });
    const since = emulator.requests.length;

    const confirmation = await discovery().confirm(outside, [{ managementGroupId: group }]);

    expect(confirmation).toEqual({ notATarget: expect.stringMatching(/management group/) });
    expect(armOperations(since)).toEqual(['Resources']);
  });

  it("pages the group's subscriptions with $skipToken, waiting for the quota window as discovery does", async () => {
    const { group, tagged } = seedGroup(4);
    emulator.resourceGraph.quota = { queries: 2, windowSeconds: 2 };
    emulator.resourceGraph.resetQuotas();
    const since = emulator.requests.length;
    const started = Date.now();

    const confirmation = await discovery({ resourceGraphPageSize: 1 }).confirm(tagged[3] as string, [{ managementGroupId: group }]);

    expect(confirmation).toEqual({ target: expect.objectContaining({ workflowId: tagged[3] }) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(graphRequests(since).map((record) => record.status)).toEqual([200, 200, 200, 200]);
  });

  it("keeps a group's subscriptions for the cache time, then asks Resource Graph again", async () => {
    const { group, tagged } = seedGroup(2);
    const scopes = [{ managementGroupId: group }];
    let now = 1_000;
    const worker = discovery({}, () => now);
    const queriesFor = async (workflowId: string) => {
      const since = emulator.requests.length;
      await expect(worker.confirm(workflowId, scopes)).resolves.toHaveProperty('target');
      return graphRequests(since).length;
    };

    expect(await queriesFor(tagged[0] as string)).toBe(1);
    now += managementGroupSubscriptionsTtlMs - 1;
    expect(await queriesFor(tagged[1] as string)).toBe(0);
    now += 1;
    expect(await queriesFor(tagged[1] as string)).toBe(1);
  });

  it('a quota that resets only after the budget is a ResourceGraphThrottled problem of the group, and is not cached', async () => {
    const { group, tagged } = seedGroup(1);
    const scopes = [{ managementGroupId: group }];
    const worker = discovery({ budgetMs: 5_000 });
    emulator.resourceGraph.quota = { queries: 1, windowSeconds: 600 };
    emulator.resourceGraph.resetQuotas();
    emulator.resourceGraph.take(emulator.managedIdentity.objectId);

    const throttled = await worker.confirm(tagged[0] as string, scopes);
    emulator.resourceGraph.quota = { queries: 15, windowSeconds: 5 };
    emulator.resourceGraph.resetQuotas();
    const since = emulator.requests.length;
    const later = await worker.confirm(tagged[0] as string, scopes);

    expect(throttled).toEqual({
      problem: expect.objectContaining({
        scope: `/providers/Microsoft.Management/managementGroups/${group}`,
        resourceId: tagged[0],
        operation: 'Resources',
        statusCode: undefined,
        errorCode: 'ResourceGraphThrottled',
      }),
    });
    expect(later).toEqual({ target: expect.objectContaining({ workflowId: tagged[0] }) });
    expect(graphRequests(since)).toHaveLength(1);
  });

  it("the emulator refuses one query's $skipToken for the other query", async () => {
    const { group } = seedGroup(2);
    const client = new ResourceGraphClient(new ManagedIdentityCredential(), emulator.armEndpoint);
    const signal = AbortSignal.timeout(30_000);
    const first = await client.queryPage(
      { query: managementGroupSubscriptionsQuery, managementGroups: [group], top: 1 },
      undefined,
      signal,
    );

    expect(first.rows).toEqual([{ subscriptionId: expect.any(String) }]);
    await expect(
      client.queryPage({ query: managementGroupDiscoveryQuery, managementGroups: [group], top: 1 }, first.skipToken, signal),
    ).rejects.toMatchObject({ statusCode: 400, code: 'BadRequest' });
  });
});
