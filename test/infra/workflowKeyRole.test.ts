import { ManagedIdentityCredential } from '@azure/identity';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArmTargetDiscovery } from '../../src/azure/logicApps/ArmTargetDiscovery';
import { ConsumptionWorkflowGateway } from '../../src/azure/logicApps/ConsumptionWorkflowGateway';
import { StandardWorkflowGateway } from '../../src/azure/logicApps/StandardWorkflowGateway';
import { workflowKeyRoleActions, workflowKeyRoleNotActions } from '../../src/azure/logicApps/workflowKeyRoleActions';
import type { RotationTarget } from '../../src/rotation/RotationTarget';
import { useEmulator } from '../support/emulatorEnvironment';
import { actionOf, rbacMatches } from './rbac';
import { granted } from './workflowKeyRole';

/**
 * The workflow key role (infra/core/security/workflow-key-role.bicep, which infra.test.ts ties to
 * src/azure/logicApps/workflowKeyRoleActions.ts) checked two ways: every action name against Microsoft's
 * published operations list (the vendored excerpt), and every ARM request the gateways and discovery
 * send against the role, by the action ARM derives from the request.
 */
const excerpt = readFileSync(join(__dirname, 'resource-provider-operations.excerpt.md'), 'utf8');
const published = [...excerpt.matchAll(/^> \| ((?:Microsoft|microsoft)\.[\w./]+) \|/gm)].map((match) => match[1] ?? '');
const actions = workflowKeyRoleActions.map((entry) => entry.action);

describe("the workflow key role and Microsoft's published operations", () => {
  it('the excerpt holds the Microsoft.Logic and Microsoft.Web rows with their source and commit', () => {
    expect(published.length).toBeGreaterThan(40);
    expect(excerpt).toMatch(/permissions\/integration\.md` \| `cccf5e99862ece74eaaf9ecac5343d0b8295f477`/);
    expect(excerpt).toMatch(/permissions\/web-and-mobile\.md` \(ms\.date 04\/25\/2024\) \| `fa7514ac534ba40b5527525e26679d06875a58f7`/);
  });

  it('names only published actions (letter case aside), except the one wildcard', () => {
    const unpublished = [...actions, ...workflowKeyRoleNotActions].filter(
      (action) => !action.includes('*') && !published.some((name) => name.toLowerCase() === action.toLowerCase()),
    );
    expect(unpublished).toEqual([]);
    expect(actions.filter((action) => action.includes('*'))).toEqual(['Microsoft.Web/sites/hostruntime/webhooks/api/workflows/*/action']);
  });

  it('the wildcard reaches no published action the role does not name, once notActions take back triggers/run', () => {
    const wildcard = actions.filter((action) => action.includes('*'));
    const reached = published.filter((name) => wildcard.some((pattern) => rbacMatches(pattern, name)));
    expect(reached.map((name) => name.toLowerCase()).sort()).toEqual([
      'microsoft.web/sites/hostruntime/webhooks/api/workflows/triggers/listcallbackurl/action',
      'microsoft.web/sites/hostruntime/webhooks/api/workflows/triggers/run/action',
    ]);
    const grantedPublished = published.filter(granted).map((name) => name.toLowerCase());
    expect(grantedPublished.sort()).toEqual(
      actions
        .filter((action) => !action.includes('*'))
        .map((action) => action.toLowerCase())
        .sort(),
    );
    expect(granted('microsoft.web/sites/hostruntime/webhooks/api/workflows/triggers/run/action')).toBe(false);
    expect(granted('Microsoft.Web/sites/hostruntime/host/_master/read')).toBe(false);
  });

  it('the checks can fail: a misspelt action is unpublished, and an unrelated action is not granted', () => {
    expect(published.some((name) => name.toLowerCase() === 'microsoft.logic/workflows/regenerateaccesskeys/action')).toBe(false);
    expect(granted('Microsoft.Logic/workflows/write')).toBe(false);
    expect(
      actionOf('POST', '/subscriptions/s/resourceGroups/r/providers/Microsoft.Logic/workflows/w/triggers/manual/listCallbackUrl'),
    ).toBe('Microsoft.Logic/workflows/triggers/listCallbackUrl/action');
  });
});

describe('the workflow key role covers every ARM request sas-rotator sends', () => {
  const subscriptionId = '3c1d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f';
  const emulator = useEmulator({ environment: 'managedIdentity' });
  const requests: Array<{ method: string; path: string; status: number; operationId: string; action: string }> = [];

  beforeAll(async () => {
    const enabled = { 'sas-rotation': 'enabled' };
    const consumptionId = emulator.logic.addWorkflow({ subscriptionId, resourceGroup: 'rg-role', name: 'orders', tags: enabled });
    const standardId = emulator.logic.addStandardWorkflow({
      subscriptionId,
      resourceGroup: 'rg-role',
      site: 'std-site',
      name: 'invoices',
      siteTags: enabled,
    });
    const credential = new ManagedIdentityCredential();
    const target = (workflowId: string, host: RotationTarget['host']): RotationTarget => ({
      workflowId,
      host,
      trigger: 'manual',
      secretName: 'role-test',
      intervalDays: 30,
      adopt: false,
    });

    // What a rotation and a discovery send: both hosts, both key types, both scope kinds.
    const consumption = new ConsumptionWorkflowGateway({ credential, resourceManagerEndpoint: emulator.armEndpoint });
    const standard = new StandardWorkflowGateway({ credential, resourceManagerEndpoint: emulator.armEndpoint });
    for (const [gateway, workflow] of [
      [consumption, target(consumptionId, 'consumption')],
      [standard, target(standardId, 'standard')],
    ] as const) {
      await gateway.listCallbackUrl(workflow, 'Secondary');
      await gateway.regenerateAccessKey(workflow, 'Secondary');
      await gateway.listCallbackUrl(workflow, 'Primary');
    }
    const discovery = await new ArmTargetDiscovery(credential, emulator.armEndpoint, 30).discover([
      { subscriptionId, resourceGroupName: undefined },
      { subscriptionId, resourceGroupName: 'rg-role' },
    ]);
    expect(discovery.problems).toEqual([]);
    expect(discovery.targets.map((found) => found.workflowId.toLowerCase()).sort()).toEqual(
      [consumptionId, standardId].map((id) => id.toLowerCase()).sort(),
    );

    // What a fan-out worker sends to confirm a queued discovered target (one GET, two for Standard).
    const scopes = [{ subscriptionId, resourceGroupName: 'rg-role' }];
    for (const workflowId of [consumptionId, standardId]) {
      const confirmed = await new ArmTargetDiscovery(credential, emulator.armEndpoint, 30).confirm(workflowId, scopes);
      expect(confirmed).toMatchObject({ target: { workflowId } });
    }

    for (const record of emulator.requests.filter((request) => request.service === 'arm')) {
      // The emulator prefixes Microsoft.Web's workflow operations with Standard to tell them from Microsoft.Logic's.
      requests.push({
        method: record.method,
        path: record.path,
        status: record.status,
        operationId: record.operationId.replace(/^Standard/, ''),
        action: actionOf(record.method, record.path),
      });
    }
  }, 60_000);

  it('every request succeeded and maps to an action the role grants', () => {
    expect(requests.length).toBeGreaterThanOrEqual(10);
    expect(requests.filter((request) => request.status < 200 || request.status > 299)).toEqual([]);
    expect(requests.filter((request) => !granted(request.action))).toEqual([]);
  });

  it('every action of the role is needed by a request (nothing granted for nobody)', () => {
    const unused = actions.filter((pattern) => !requests.some((request) => rbacMatches(pattern, request.action)));
    expect(unused).toEqual([]);
    // Each entry names the operations that need it, and those are exactly the operations it covers
    // (the wildcard: those no exact action covers).
    const exact = actions.filter((action) => !action.includes('*'));
    for (const entry of workflowKeyRoleActions) {
      const covered = requests.filter(
        (request) =>
          rbacMatches(entry.action, request.action) &&
          (!entry.action.includes('*') || !exact.some((action) => rbacMatches(action, request.action))),
      );
      const operations = new Set(covered.map((request) => request.operationId));
      expect({ action: entry.action, operations: [...operations].sort() }).toEqual({
        action: entry.action,
        operations: [...entry.neededBy].sort(),
      });
    }
  });

  it('Standard regenerateAccessKey is the one request without a published action; only the wildcard grants it', () => {
    const regenerate = requests.filter((request) => /\/hostruntime\/.*\/regenerateAccessKey$/i.test(request.path));
    expect(regenerate.map((request) => request.action)).toEqual([
      'Microsoft.Web/sites/hostruntime/webhooks/api/workflows/regenerateAccessKey/action',
    ]);
    // When Microsoft publishes it, this fails: replace the wildcard with the exact action.
    expect(published.map((name) => name.toLowerCase())).not.toContain(
      'microsoft.web/sites/hostruntime/webhooks/api/workflows/regenerateaccesskey/action',
    );
    const unpublished = requests.filter((request) => !published.some((name) => name.toLowerCase() === request.action.toLowerCase()));
    expect([...new Set(unpublished.map((request) => request.action))]).toEqual([
      'Microsoft.Web/sites/hostruntime/webhooks/api/workflows/regenerateAccessKey/action',
    ]);
  });
});
