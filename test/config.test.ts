import { ConfigurationError, defaultSecretName, loadSettings } from '../src/composition/config';
import { errorThrownBy } from './support/errorThrownBy';

const workflowId =
  '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-orders/providers/Microsoft.Logic/workflows/orders-intake';
const validEnv = {
  KEY_VAULT_URI: 'https://kv-rotator.vault.azure.net/',
  ROTATION_TARGETS: JSON.stringify([{ workflowId }]),
};

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  return errorThrownBy(ConfigurationError, () => loadSettings(env)).problems;
}

describe('loadSettings', () => {
  it('applies the documented defaults (docs/design.md §4.2)', () => {
    const settings = loadSettings(validEnv);
    expect(settings).toMatchObject({
      schedule: '0 0 3 * * *',
      intervalDays: 30,
      concurrency: 8,
      keyVaultUri: 'https://kv-rotator.vault.azure.net',
      resourceManagerEndpoint: 'https://management.azure.com',
      flowApiEndpoint: 'https://api.flow.microsoft.com',
      appInsightsConnectionString: undefined,
    });
    expect(settings.targets).toEqual([
      { workflowId, host: 'consumption', trigger: 'manual', secretName: 'orders-intake-manual-url', intervalDays: 30, adopt: false },
    ]);
    expect(settings.discoveryScopes).toEqual([]);
  });

  it('uses the interval setting as the default of every target, and a target value over it', () => {
    const settings = loadSettings({
      ...validEnv,
      ROTATION_INTERVAL_DAYS: '7',
      ROTATION_TARGETS: JSON.stringify([
        { workflowId },
        {
          workflowId: workflowId.replace('orders-intake', 'b'),
          intervalDays: 90,
          trigger: 'When_a_HTTP_request_is_received',
          secretName: 'b-url',
        },
      ]),
    });
    expect(settings.targets.map((t) => [t.intervalDays, t.trigger, t.secretName])).toEqual([
      [7, 'manual', 'orders-intake-manual-url'],
      [90, 'When_a_HTTP_request_is_received', 'b-url'],
    ]);
  });

  it('derives the default secret name as docs/design.md §5 says', () => {
    expect(defaultSecretName('Orders_Intake.v2', 'manual')).toBe('orders-intake-v2-manual-url');
    expect(defaultSecretName('x'.repeat(200), 'manual')).toHaveLength(127);
  });

  it('reports every problem at once, naming the setting or target, the field and the fix', () => {
    const problems = problemsOf({
      ROTATION_INTERVAL_DAYS: '0',
      ROTATION_CONCURRENCY: 'lots',
      AZURE_RESOURCE_MANAGER_ENDPOINT: 'http://management.azure.com',
      ROTATION_TARGETS: JSON.stringify([
        { workflowId: '/subscriptions/nope/resourceGroups/rg/providers/Microsoft.Logic/workflows/a' },
        { workflowId, secretName: 'bad_name!', intervalDays: 1000, trigger: 'a/b', adopt: 'yes', intervalDay: 3 },
      ]),
    });
    const text = problems.join('\n');
    expect(problems.length).toBeGreaterThanOrEqual(9);
    expect(text).toMatch(/KEY_VAULT_URI is not set/);
    expect(text).toMatch(/ROTATION_INTERVAL_DAYS is '0'/);
    expect(text).toMatch(/ROTATION_CONCURRENCY is 'lots'/);
    expect(text).toMatch(/AZURE_RESOURCE_MANAGER_ENDPOINT must use https/);
    expect(text).toMatch(/ROTATION_TARGETS\[0\] .*workflowId .*does not start with \/subscriptions\/<subscription GUID>/);
    expect(text).toMatch(/ROTATION_TARGETS\[1\] \(.*orders-intake\): secretName 'bad_name!'/);
    expect(text).toMatch(/intervalDays 1000 is out of range/);
    expect(text).toMatch(/trigger 'a\/b' is not a trigger name/);
    expect(text).toMatch(/unknown field 'intervalDay'. Did you mean 'intervalDays'\?/);
    for (const problem of problems) expect(problem).toMatch(/Fix:|must be|Did you mean/);
  });

  it.each([
    ['not JSON', '[{', /is not valid JSON/],
    ['not an array', '{"workflowId":"x"}', /must be a JSON array/],
    ['an empty list', '[]', /is an empty list/],
    ['a string entry', '["/subscriptions/x"]', /must be an object/],
    ['a missing workflowId', '[{"trigger":"manual"}]', /workflowId is missing/],
    [
      'a Standard ID without the workflow',
      JSON.stringify([
        { workflowId: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Web/sites/app' },
      ]),
      /not a Logic Apps Standard workflow ID/,
    ],
    [
      'a Power Automate ID without the flow',
      JSON.stringify([{ workflowId: '/providers/Microsoft.ProcessSimple/environments/e' }]),
      /not a Power Automate flow ID/,
    ],
    [
      'a truncated ID',
      JSON.stringify([{ workflowId: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Logic' }]),
      /not a Logic Apps workflow resource ID/,
    ],
    [
      'the same workflow twice',
      JSON.stringify([{ workflowId }, { workflowId: workflowId.toUpperCase(), secretName: 'other' }]),
      /is listed twice/,
    ],
    [
      'two targets on one secret',
      JSON.stringify([
        { workflowId, secretName: 'shared' },
        { workflowId: `${workflowId}-2`, secretName: 'SHARED' },
      ]),
      /both publish to secret/,
    ],
  ])('refuses %s in ROTATION_TARGETS', (_label, targets, expected) => {
    expect(problemsOf({ ...validEnv, ROTATION_TARGETS: targets }).join('\n')).toMatch(expected);
  });

  it('never repeats a callback URL pasted into the wrong field', () => {
    const sig = 'IxEQ_ygZf6WNEQCbjV0Vs6p6Y4DyNEJVAa86U5B4xhk';
    const pasted = `https://prod-03.westus.logic.azure.com:443/workflows/d469/triggers/manual/paths/invoke?sig=${sig}&api-version=2016-10-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0`;
    const problems = problemsOf({
      ...validEnv,
      ROTATION_SCHEDULE: pasted,
      ROTATION_CONCURRENCY: pasted,
      ROTATION_TARGETS: JSON.stringify([{ workflowId: pasted, [pasted]: 1, secretName: pasted, trigger: `x?sig=${sig}` }]),
    });
    expect(problems.length).toBeGreaterThanOrEqual(5);
    const text = problems.join('\n');
    expect(text).not.toContain(sig);
    expect(text).not.toContain(sig.slice(0, 10));
  });

  it('reads the Entra ingestion setting and refuses a malformed one', () => {
    expect(
      loadSettings({ ...validEnv, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD' }).appInsightsEntraAuthentication,
    ).toEqual({ clientId: undefined });
    expect(
      loadSettings({
        ...validEnv,
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=00000000-0000-0000-0000-0000000000ab',
      }).appInsightsEntraAuthentication,
    ).toEqual({ clientId: '00000000-0000-0000-0000-0000000000ab' });
    expect(problemsOf({ ...validEnv, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=Key' }).join('\n')).toMatch(
      /APPLICATIONINSIGHTS_AUTHENTICATION_STRING must be 'Authorization=AAD'/,
    );
  });

  it('tells the three hosts apart by resource ID and derives a default secret name for each', () => {
    const standard =
      '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Web/sites/la-orders/workflows/intake';
    const flow = '/providers/Microsoft.ProcessSimple/environments/Default-7c1d/flows/3f2a9c1e-0b1d-4e2f-9a8b-7c6d5e4f3a2b';
    const settings = loadSettings({
      ...validEnv,
      ROTATION_TARGETS: JSON.stringify([{ workflowId }, { workflowId: standard }, { workflowId: flow }]),
    });
    expect(settings.targets.map((t) => [t.host, t.secretName])).toEqual([
      ['consumption', 'orders-intake-manual-url'],
      ['standard', 'la-orders-intake-manual-url'],
      ['powerAutomate', '3f2a9c1e-0b1d-4e2f-9a8b-7c6d5e4f3a2b-manual-url'],
    ]);
  });

  it('reads ROTATION_DISCOVERY scopes, which make ROTATION_TARGETS optional, and refuses a malformed scope', () => {
    const settings = loadSettings({
      KEY_VAULT_URI: validEnv.KEY_VAULT_URI,
      ROTATION_DISCOVERY:
        '/subscriptions/00000000-0000-0000-0000-000000000001, /subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/rg-flows',
    });
    expect(settings.targets).toEqual([]);
    // infra/ always sets ROTATION_TARGETS, to [] when only discovery is used.
    expect(
      loadSettings({
        KEY_VAULT_URI: validEnv.KEY_VAULT_URI,
        ROTATION_TARGETS: '[]',
        ROTATION_DISCOVERY: '/subscriptions/00000000-0000-0000-0000-000000000001',
      }).targets,
    ).toEqual([]);
    expect(settings.discoveryScopes).toEqual([
      { subscriptionId: '00000000-0000-0000-0000-000000000001', resourceGroupName: undefined },
      { subscriptionId: '00000000-0000-0000-0000-000000000002', resourceGroupName: 'rg-flows' },
    ]);
    expect(problemsOf({ ...validEnv, ROTATION_DISCOVERY: '/subscriptions/prod' }).join('\n')).toMatch(
      /ROTATION_DISCOVERY: '\/subscriptions\/prod' is not a scope/,
    );
  });

  it('reads management-group scopes beside subscription and resource-group scopes (docs/design.md §4.5)', () => {
    const settings = loadSettings({
      KEY_VAULT_URI: validEnv.KEY_VAULT_URI,
      ROTATION_DISCOVERY:
        '/providers/Microsoft.Management/managementGroups/mg-landing_zones(prod).1, /subscriptions/00000000-0000-0000-0000-000000000001,/providers/microsoft.management/managementgroups/Contoso/',
    });
    expect(settings.discoveryScopes).toEqual([
      { managementGroupId: 'mg-landing_zones(prod).1' },
      { subscriptionId: '00000000-0000-0000-0000-000000000001', resourceGroupName: undefined },
      { managementGroupId: 'Contoso' },
    ]);
    expect(settings.targets).toEqual([]);
    for (const bad of [
      '/providers/Microsoft.Management/managementGroups/',
      '/providers/Microsoft.Management/managementGroups/ends-with-period.',
      '/providers/Microsoft.Management/managementGroups/has space',
      `/providers/Microsoft.Management/managementGroups/${'a'.repeat(91)}`,
      '/providers/Microsoft.Management/managementGroups/mg/subscriptions/00000000-0000-0000-0000-000000000001',
      '/providers/Microsoft.Management/tenant',
    ]) {
      expect(problemsOf({ ...validEnv, ROTATION_DISCOVERY: bad }).join('\n')).toMatch(
        /ROTATION_DISCOVERY: .* is not a scope.*managementGroups\/<id>/,
      );
    }
    expect(
      loadSettings({
        KEY_VAULT_URI: validEnv.KEY_VAULT_URI,
        ROTATION_DISCOVERY: `/providers/Microsoft.Management/managementGroups/${'a'.repeat(90)}`,
      }).discoveryScopes,
    ).toEqual([{ managementGroupId: 'a'.repeat(90) }]);
  });
});

describe('dependents (docs/design.md §12)', () => {
  const rg = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-api/providers';
  const namedValue = `${rg}/Microsoft.ApiManagement/service/apim-orders/namedValues/orders-sig`;
  const actionGroup = `${rg}/Microsoft.Insights/actionGroups/on-call`;
  const topicSubscription = `${rg}/Microsoft.EventGrid/topics/orders/providers/Microsoft.EventGrid/eventSubscriptions/to-orders`;
  const subscriptionScoped =
    '/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.EventGrid/eventSubscriptions/sub-wide';
  const withDependents = (dependents: unknown) => ({ ...validEnv, ROTATION_TARGETS: JSON.stringify([{ workflowId, dependents }]) });

  it('reads each kind by its resource ID, on any Event Grid scope', () => {
    const [target] = loadSettings(withDependents([namedValue, actionGroup, topicSubscription, `${subscriptionScoped}/`])).targets;
    expect(target?.dependents).toEqual([
      { resourceId: namedValue, kind: 'apimNamedValue' },
      { resourceId: actionGroup, kind: 'actionGroup' },
      { resourceId: topicSubscription, kind: 'eventSubscription' },
      { resourceId: subscriptionScoped, kind: 'eventSubscription' },
    ]);
    expect(loadSettings(validEnv).targets[0]?.dependents).toBeUndefined();
  });

  it('refuses a bad ID, a repeated one, a non-array and too many, naming the target, the field and the fix', () => {
    const [badId] = problemsOf(withDependents([`${rg}/Microsoft.ApiManagement/service/apim-orders/apis/orders`]));
    expect(badId).toMatch(
      /ROTATION_TARGETS\[0\] \(.*orders-intake\): dependents\[0\] '.*apis\/orders' is not the resource ID of a supported dependent\. Fix: use .*namedValues\/<name>/,
    );
    expect(problemsOf(withDependents([actionGroup, actionGroup.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/')]))).toEqual([
      expect.stringMatching(/dependents\[1\] .* is listed twice/),
    ]);
    expect(problemsOf(withDependents(namedValue))).toEqual([
      expect.stringMatching(/dependents must be an array of resource IDs, not a string/),
    ]);
    expect(problemsOf(withDependents(Array.from({ length: 51 }, (_, i) => `${actionGroup}-${i}`)))).toEqual([
      expect.stringMatching(/at most 50 are allowed/),
    ]);
    expect(problemsOf(withDependents([42]))).toEqual([expect.stringMatching(/dependents\[0\] 42 is not/)]);
  });

  it('never repeats a callback URL pasted where a dependent ID belongs', () => {
    const pasted =
      'https://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sp=%2Ftriggers%2Fmanual%2Frun&sig=SECRETSIGVALUE123';
    const problems = problemsOf(withDependents([pasted]));
    expect(problems.join('\n')).not.toContain('SECRETSIGVALUE123');
  });
});
