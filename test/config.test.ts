import { ConfigurationError, defaultSecretName, loadSettings } from '../src/config';

const workflowId = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-orders/providers/Microsoft.Logic/workflows/orders-intake';
const validEnv = {
  KEY_VAULT_URI: 'https://kv-rotator.vault.azure.net/',
  ROTATION_TARGETS: JSON.stringify([{ workflowId }]),
};

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    loadSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as ConfigurationError).problems;
  }
  throw new Error('expected a ConfigurationError');
}

describe('loadSettings', () => {
  it('applies the documented defaults (DESIGN §4)', () => {
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
      { workflowId, trigger: 'manual', secretName: 'orders-intake-manual-url', intervalDays: 30, adopt: false },
    ]);
  });

  it('uses the interval setting as the default of every target, and a target value over it', () => {
    const settings = loadSettings({
      ...validEnv,
      ROTATION_INTERVAL_DAYS: '7',
      ROTATION_TARGETS: JSON.stringify([{ workflowId }, { workflowId: workflowId.replace('orders-intake', 'b'), intervalDays: 90, trigger: 'When_a_HTTP_request_is_received', secretName: 'b-url' }]),
    });
    expect(settings.targets.map((t) => [t.intervalDays, t.trigger, t.secretName])).toEqual([
      [7, 'manual', 'orders-intake-manual-url'],
      [90, 'When_a_HTTP_request_is_received', 'b-url'],
    ]);
  });

  it('derives the default secret name as DESIGN §5 says', () => {
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
    ['a Standard workflow', JSON.stringify([{ workflowId: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Web/sites/app/workflows/wf' }]), /Logic Apps Standard/],
    ['a Power Automate flow', JSON.stringify([{ workflowId: '/providers/Microsoft.ProcessSimple/environments/e/flows/f' }]), /Power Automate flow/],
    ['a truncated ID', JSON.stringify([{ workflowId: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Logic' }]), /not a Logic Apps workflow resource ID/],
    ['the same workflow twice', JSON.stringify([{ workflowId }, { workflowId: workflowId.toUpperCase(), secretName: 'other' }]), /is listed twice/],
    ['two targets on one secret', JSON.stringify([{ workflowId, secretName: 'shared' }, { workflowId: `${workflowId}-2`, secretName: 'SHARED' }]), /both publish to secret/],
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
    expect(loadSettings({ ...validEnv, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD' }).appInsightsEntraAuthentication).toEqual({ clientId: undefined });
    expect(
      loadSettings({ ...validEnv, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=00000000-0000-0000-0000-0000000000ab' }).appInsightsEntraAuthentication,
    ).toEqual({ clientId: '00000000-0000-0000-0000-0000000000ab' });
    expect(problemsOf({ ...validEnv, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=Key' }).join('\n')).toMatch(/APPLICATIONINSIGHTS_AUTHENTICATION_STRING must be 'Authorization=AAD'/);
  });

  it('refuses ROTATION_DISCOVERY, which this version does not implement, instead of ignoring it', () => {
    expect(problemsOf({ ...validEnv, ROTATION_DISCOVERY: '/subscriptions/x' }).join('\n')).toMatch(/ROTATION_DISCOVERY/);
  });
});
