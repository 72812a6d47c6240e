import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dependentUpdateRoleActions } from '../../src/azure/dependentUpdateRoleActions';
import { workflowKeyRoleActions } from '../../src/azure/logicApps/workflowKeyRoleActions';
import { actionOf, rbacMatches } from './rbac';

/**
 * The dependent update role (infra/core/security/dependent-update-role.bicep, which infra.test.ts ties
 * to src/azure/dependentUpdateRoleActions.ts) checked two ways: every action name against Microsoft's
 * published operations list (the vendored excerpt), and the requests the dependent adapters send
 * against the role, by the action ARM derives from each request's path. The adapters are not wired to
 * the emulator yet, so the requests are the representative ones of the providers' REST specs and the
 * SDKs (docs/security.md lists them with their sources), not recorded ones.
 */
const excerpt = readFileSync(join(__dirname, 'resource-provider-operations.excerpt.md'), 'utf8');
const published = [...excerpt.matchAll(/^> \| ((?:Microsoft|microsoft)\.[\w./]+) \|/gm)].map((match) => match[1] ?? '');
const actions = dependentUpdateRoleActions.map((entry) => entry.action);

const granted = (action: string): boolean => actions.some((pattern) => rbacMatches(pattern, action));
const isPublished = (action: string): boolean => published.some((name) => name.toLowerCase() === action.toLowerCase());

interface RepresentativeRequest {
  readonly operationId: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  readonly url: string;
  /** What the request is, when it is not the operation's own request. */
  readonly step?: string;
  /** Set only where ARM's rule gives no published action: the published action the role grants for it instead. */
  readonly grantedAs?: string;
}

const subscriptionId = '3c1d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f';
const operationId = '5c730e343244df1b9cb56e85';
const apim = `/subscriptions/${subscriptionId}/resourceGroups/rg-apim/providers/Microsoft.ApiManagement/service/apim-orders`;
const namedValue = `${apim}/namedValues/orders-manual-invoke-sig`;
const actionGroup = `/subscriptions/${subscriptionId}/resourceGroups/rg-monitor/providers/microsoft.insights/actionGroups/ops-pager`;
const eventGridRegion = `/subscriptions/${subscriptionId}/providers/Microsoft.EventGrid/locations/westeurope`;
// The extension form at each scope the dependents accept: a custom topic, a resource group, a subscription.
const eventSubscriptions = [
  `/subscriptions/${subscriptionId}/resourceGroups/rg-events/providers/Microsoft.EventGrid/topics/orders-topic/providers/Microsoft.EventGrid/eventSubscriptions/orders-to-logic`,
  `/subscriptions/${subscriptionId}/resourceGroups/rg-events/providers/Microsoft.EventGrid/eventSubscriptions/rg-to-logic`,
  `/subscriptions/${subscriptionId}/providers/Microsoft.EventGrid/eventSubscriptions/subscription-to-logic`,
];

/** A GET core-lro sends while the long-running `operationId` runs (`step`: which one). */
function pollOf(operationId: string, step: string, url: string): RepresentativeRequest {
  return { operationId, step, method: 'GET', url };
}

/**
 * What the adapters send: @azure/arm-apimanagement 10.0.0 (api-version 2024-05-01), @azure/arm-monitor
 * 7.0.0 (2021-09-01) and @azure/arm-eventgrid 14.1.0 (2022-06-15), as seen with a fake transport, with
 * the long-running polls core-lro makes. The poll URLs are those the providers return: the APIM one from
 * the spec's example ApiManagementUpdateNamedValue.json (2024-05-01), the Event Grid operationsStatus one
 * as Event Grid returned it (2022-06-15); Event Grid's operationResults Location form is assumed by analogy.
 */
const requests: readonly RepresentativeRequest[] = [
  { operationId: 'NamedValue_Get', method: 'GET', url: `${namedValue}?api-version=2024-05-01` },
  { operationId: 'NamedValue_ListValue', method: 'POST', url: `${namedValue}/listValue?api-version=2024-05-01` },
  { operationId: 'NamedValue_Update', method: 'PATCH', url: `${namedValue}?api-version=2024-05-01` },
  {
    ...pollOf('NamedValue_Update', 'poll Azure-AsyncOperation', `${apim}/tenant/operationResults/${operationId}?api-version=2024-05-01`),
    grantedAs: 'Microsoft.ApiManagement/service/tenant/operationResults/read',
  },
  pollOf(
    'NamedValue_Update',
    'poll Location (the named value itself)',
    `${namedValue}?api-version=2024-05-01&asyncId=${operationId}&asyncCode=200`,
  ),
  { operationId: 'ActionGroups_Get', method: 'GET', url: `${actionGroup}?api-version=2021-09-01` },
  { operationId: 'ActionGroups_CreateOrUpdate', method: 'PUT', url: `${actionGroup}?api-version=2021-09-01` },
  ...eventSubscriptions.flatMap((id): RepresentativeRequest[] => [
    { operationId: 'EventSubscriptions_Get', method: 'GET', url: `${id}?api-version=2022-06-15` },
    { operationId: 'EventSubscriptions_GetFullUrl', method: 'POST', url: `${id}/getFullUrl?api-version=2022-06-15` },
    { operationId: 'EventSubscriptions_Update', method: 'PATCH', url: `${id}?api-version=2022-06-15` },
    pollOf(
      'EventSubscriptions_Update',
      'poll Azure-AsyncOperation',
      `${eventGridRegion}/operationsStatus/F35CE068-A1E3-4A4B-AE3C-3C21EE954E18?api-version=2022-06-15`,
    ),
    pollOf(
      'EventSubscriptions_Update',
      'poll Location, if Event Grid sends one',
      `${eventGridRegion}/operationResults/F35CE068-A1E3-4A4B-AE3C-3C21EE954E18?api-version=2022-06-15`,
    ),
    pollOf('EventSubscriptions_Update', 'final GET without a Location', `${id}?api-version=2022-06-15`),
  ]),
];

const authorizedAs = (request: RepresentativeRequest): string => request.grantedAs ?? actionOf(request.method, request.url);

describe("the dependent update role and Microsoft's published operations", () => {
  it('the excerpt holds the Microsoft.ApiManagement, Microsoft.Insights and Microsoft.EventGrid rows with their source and commit', () => {
    for (const [provider, file] of [
      ['Microsoft.ApiManagement', 'integration'],
      ['Microsoft.EventGrid', 'integration'],
      ['Microsoft.Insights', 'monitor'],
    ] as const) {
      expect(excerpt).toMatch(
        new RegExp(
          `^\\| ${provider} \\| .* \`articles/role-based-access-control/permissions/${file}\\.md\` .*\\| \`03e5750af10b23b5ba437d5b333ec5e9437844f9\` \\|$`,
          'm',
        ),
      );
      expect(published.filter((name) => name.startsWith(`${provider}/`)).length).toBeGreaterThan(9);
    }
  });

  it('names only published actions, in the letter case Microsoft publishes them', () => {
    expect(actions.filter((action) => !published.includes(action))).toEqual([]);
  });

  it('grants nothing more: no wildcard, no delete, no other action, nothing twice', () => {
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    expect(actions.filter((action) => /\/delete$/i.test(action))).toEqual([]);
    expect(new Set(actions.map((action) => action.toLowerCase())).size).toBe(actions.length);
    // The only POST actions are the two that read a secret value the adapters must compare.
    expect(actions.filter((action) => /\/action$/i.test(action)).sort()).toEqual([
      'Microsoft.ApiManagement/service/namedValues/listValue/action',
      'Microsoft.EventGrid/eventSubscriptions/getFullUrl/action',
    ]);
    // Writes only on the three dependent kinds.
    expect(actions.filter((action) => /\/write$/i.test(action)).sort()).toEqual([
      'Microsoft.ApiManagement/service/namedValues/write',
      'Microsoft.EventGrid/eventSubscriptions/write',
      'Microsoft.Insights/ActionGroups/Write',
    ]);
    for (const neighbour of [
      'Microsoft.ApiManagement/service/namedValues/delete',
      'Microsoft.ApiManagement/service/namedValues/refreshSecret/action',
      'Microsoft.ApiManagement/service/properties/listSecrets/action',
      'Microsoft.ApiManagement/service/tenant/listSecrets/action',
      'Microsoft.Insights/ActionGroups/Delete',
      'Microsoft.EventGrid/eventSubscriptions/delete',
      'Microsoft.EventGrid/eventSubscriptions/getDeliveryAttributes/action',
      'Microsoft.EventGrid/topics/eventSubscriptions/write',
    ]) {
      expect({ neighbour, published: isPublished(neighbour), granted: granted(neighbour) }).toEqual({
        neighbour,
        published: true,
        granted: false,
      });
    }
  });

  it('shares no action with the workflow key role: each role does one job', () => {
    const workflowActions = workflowKeyRoleActions.map((entry) => entry.action);
    expect(actions.filter((action) => workflowActions.some((pattern) => rbacMatches(pattern, action)))).toEqual([]);
  });
});

describe('the dependent update role covers every request the dependent adapters send', () => {
  it('every representative request maps to a published action the role grants', () => {
    expect(requests.length).toBeGreaterThanOrEqual(20);
    const problems = requests
      .map((request) => ({ ...request, action: authorizedAs(request) }))
      .filter((request) => !isPublished(request.action) || !granted(request.action));
    expect(problems).toEqual([]);
  });

  it('the derivation gives the actions Microsoft documents for these requests', () => {
    expect(actionOf('POST', `${namedValue}/listValue?api-version=2024-05-01`)).toBe(
      'Microsoft.ApiManagement/service/namedValues/listValue/action',
    );
    expect(actionOf('PUT', `${actionGroup}?api-version=2021-09-01`)).toBe('microsoft.insights/actionGroups/write');
    // An event subscription on a topic is authorized as an event subscription, not as a write to the topic.
    expect(actionOf('PATCH', `${eventSubscriptions[0]}?api-version=2022-06-15`)).toBe('Microsoft.EventGrid/eventSubscriptions/write');
    expect(actionOf('POST', `${eventSubscriptions[0]}/getFullUrl`)).toBe('Microsoft.EventGrid/eventSubscriptions/getFullUrl/action');
    expect(actionOf('GET', `${eventGridRegion}/operationsStatus/x`)).toBe('Microsoft.EventGrid/locations/operationsStatus/read');
  });

  it("the APIM status URL is the one request ARM's rule gives no published action for; the role grants the one its path names", () => {
    const unresolved = requests.filter((request) => !isPublished(actionOf(request.method, request.url)));
    expect(unresolved.map((request) => [request.operationId, request.step, actionOf(request.method, request.url)])).toEqual([
      ['NamedValue_Update', 'poll Azure-AsyncOperation', `Microsoft.ApiManagement/service/tenant/${operationId}/read`],
    ]);
    // Its literal type segments, service/tenant/operationResults, are a published action of their own.
    expect(unresolved.map((request) => request.grantedAs)).toEqual(['Microsoft.ApiManagement/service/tenant/operationResults/read']);
    expect(requests.filter((request) => request.grantedAs !== undefined)).toEqual(unresolved);
  });

  it('every action is needed by a request, and its neededBy names exactly the operations whose requests it covers', () => {
    expect(actions.filter((action) => !requests.some((request) => rbacMatches(action, authorizedAs(request))))).toEqual([]);
    for (const entry of dependentUpdateRoleActions) {
      const operations = new Set(
        requests.filter((request) => rbacMatches(entry.action, authorizedAs(request))).map((request) => request.operationId),
      );
      expect({ action: entry.action, operations: [...operations].sort() }).toEqual({
        action: entry.action,
        operations: [...entry.neededBy].sort(),
      });
    }
    expect(new Set(dependentUpdateRoleActions.flatMap((entry) => entry.neededBy))).toEqual(
      new Set([
        'NamedValue_Get',
        'NamedValue_ListValue',
        'NamedValue_Update',
        'ActionGroups_Get',
        'ActionGroups_CreateOrUpdate',
        'EventSubscriptions_Get',
        'EventSubscriptions_GetFullUrl',
        'EventSubscriptions_Update',
      ]),
    );
  });

  it('the checks can fail: the nested event subscription forms and a create-or-replace of a named value are not granted', () => {
    const systemTopicSubscription = `/subscriptions/${subscriptionId}/resourceGroups/rg-events/providers/Microsoft.EventGrid/systemTopics/vault-events/eventSubscriptions/to-logic`;
    expect(actionOf('PATCH', systemTopicSubscription)).toBe('Microsoft.EventGrid/systemTopics/eventSubscriptions/write');
    expect(granted(actionOf('PATCH', systemTopicSubscription))).toBe(false);
    expect(granted(actionOf('DELETE', namedValue))).toBe(false);
    expect(granted(actionOf('POST', `${namedValue}/refreshSecret`))).toBe(false);
    // Taking the first /providers/ instead of the last would authorize a topic-scoped subscription as the topic.
    expect(actionOf('GET', eventSubscriptions[0] ?? '')).not.toMatch(/topics/);
  });
});
