import { runCliInProcess } from '../support/cliInProcess';
import { day, resourceGroupId, subscriptionId } from '../support/constants';
import { addRequestWorkflow, useEmulator } from '../support/emulatorEnvironment';
import { expectNoIssuedSecrets, ProducedOutput } from '../support/expectNoIssuedSecrets';

/**
 * The bad-input catalogue: each entry is something users really get wrong. Every one must give a
 * clear error naming what is wrong and how to fix it, and must never regenerate a key or write a
 * secret. Configuration mistakes exit 2 before any request; bad existing secrets fail their target
 * (exit 1) at readSecret or before regenerating.
 */
const emulator = useEmulator();
const produced = new ProducedOutput();

const sig = 'IxEQ_ygZf6WNEQCbjV0Vs6p6Y4DyNEJVAa86U5B4xhk';
const pastedUrl = `https://prod-03.westus.logic.azure.com:443/workflows/d469/triggers/manual/paths/invoke?api-version=2016-10-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${sig}`;

type Targets = (workflowId: string) => unknown;
const configurationMistakes: ReadonlyArray<[string, Targets | string, RegExp, Record<string, string>?]> = [
  ['malformed JSON', '[{"workflowId": ', /is not valid JSON/],
  ['an object instead of an array', () => ({ workflowId: 'x' }), /must be a JSON array/],
  ['an empty list', '[]', /is an empty list/],
  ['a bare string entry', (id) => [id], /must be an object with a workflowId/],
  ['a missing workflowId', () => [{ trigger: 'manual' }], /workflowId is missing/],
  [
    'a truncated resource ID',
    () => [{ workflowId: `${resourceGroupId}/providers/Microsoft.Logic` }],
    /not a Logic Apps workflow resource ID/,
  ],
  [
    'a subscription that is not a GUID',
    () => [{ workflowId: '/subscriptions/prod/resourceGroups/rg/providers/Microsoft.Logic/workflows/a' }],
    /subscription GUID/,
  ],
  [
    'a missing resource group',
    () => [{ workflowId: `/subscriptions/${subscriptionId}/providers/Microsoft.Logic/workflows/a` }],
    /not a Logic Apps workflow resource ID/,
  ],
  [
    'an unknown provider',
    () => [{ workflowId: `${resourceGroupId}/providers/Microsoft.Compute/virtualMachines/vm1` }],
    /not a Logic Apps workflow resource ID/,
  ],
  [
    'a Logic Apps Standard site without the workflow',
    () => [{ workflowId: `${resourceGroupId}/providers/Microsoft.Web/sites/app` }],
    /not a Logic Apps Standard workflow ID/,
  ],
  [
    'a Power Automate environment without the flow',
    () => [{ workflowId: '/providers/Microsoft.ProcessSimple/environments/Default-1' }],
    /not a Power Automate flow ID/,
  ],
  [
    'a malformed discovery scope',
    (id) => [{ workflowId: id }],
    /ROTATION_DISCOVERY: '\/subscriptions\/all' is not a scope/,
    { ROTATION_DISCOVERY: '/subscriptions/all' },
  ],
  ['the same workflow twice', (id) => [{ workflowId: id }, { workflowId: id.toUpperCase(), secretName: 'other' }], /is listed twice/],
  [
    'two targets on one secret',
    (id) => [
      { workflowId: id, secretName: 'same' },
      { workflowId: `${id}-b`, secretName: 'SAME' },
    ],
    /both publish to secret 'SAME'/,
  ],
  [
    'a secret name Key Vault rejects',
    (id) => [{ workflowId: id, secretName: 'orders_url' }],
    /secretName 'orders_url' is not a valid Key Vault secret name/,
  ],
  ['a secret name over 127 characters', (id) => [{ workflowId: id, secretName: 'a'.repeat(128) }], /not a valid Key Vault secret name/],
  ['an interval of 0 days', (id) => [{ workflowId: id, intervalDays: 0 }], /intervalDays 0 is out of range/],
  ['an interval over a year', (id) => [{ workflowId: id, intervalDays: 366 }], /intervalDays 366 is out of range/],
  ['a fractional interval', (id) => [{ workflowId: id, intervalDays: 1.5 }], /intervalDays 1.5 is out of range/],
  ['an interval given as text', (id) => [{ workflowId: id, intervalDays: '30' }], /intervalDays '30' is out of range/],
  ['a trigger name with a slash', (id) => [{ workflowId: id, trigger: 'manual/run' }], /trigger 'manual\/run' is not a trigger name/],
  ['a misspelt field', (id) => [{ workflowId: id, secretname: 'x' }], /unknown field 'secretname'. Did you mean 'secretName'\?/],
  ['adopt as text', (id) => [{ workflowId: id, adopt: 'yes' }], /adopt 'yes' must be true or false/],
  [
    'a dependent that is an APIM API, not a named value',
    (id) => [
      {
        workflowId: id,
        dependents: [`/subscriptions/${subscriptionId}/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/apis/orders`],
      },
    ],
    /dependents\[0\] .* is not the resource ID of a supported dependent\. Fix: use .*namedValues/,
  ],
  ['dependents as one string', (id) => [{ workflowId: id, dependents: 'x' }], /dependents must be an array of resource IDs/],
  [
    'a callback URL pasted as a dependent',
    (id) => [{ workflowId: id, dependents: [pastedUrl] }],
    /dependents\[0\] .* is not the resource ID/,
  ],
  [
    'a huge target list',
    (id) => Array.from({ length: 10_001 }, (_, i) => ({ workflowId: `${id}-${i}` })),
    /lists 10001 targets; at most 10000/,
  ],
  [
    'a workflowId longer than a Key Vault tag',
    () => [
      {
        workflowId: `/subscriptions/${subscriptionId}/resourceGroups/${'r'.repeat(90)}/providers/Microsoft.Logic/workflows/${'w'.repeat(80)}`,
      },
    ],
    /Key Vault tag values hold at most 256/,
  ],
  ['a callback URL pasted as the workflowId', () => [{ workflowId: pastedUrl }], /does not start with \/subscriptions\//],
  ['a concurrency of 0', (id) => [{ workflowId: id }], /ROTATION_CONCURRENCY is '0'/, { ROTATION_CONCURRENCY: '0' }],
  [
    'a vault over plain http',
    (id) => [{ workflowId: id }],
    /KEY_VAULT_URI must use https/,
    { KEY_VAULT_URI: 'http://kv.vault.azure.net/' },
  ],
  ['a schedule with five fields', (id) => [{ workflowId: id }], /ROTATION_SCHEDULE is '0 3 \* \* \*'/, { ROTATION_SCHEDULE: '0 3 * * *' }],
];

const cli = (argv: string[], env: Record<string, string>) => runCliInProcess(emulator, argv, env, { output: produced });

const writes = () =>
  emulator.requests.filter((r) => r.operationId === 'Workflows_RegenerateAccessKey' || r.operationId === 'SetSecret').length;

describe('bad input catalogue: configuration mistakes exit 2 and send nothing to Azure', () => {
  it.each(configurationMistakes)('%s', async (_label, targets, expected, env = {}) => {
    const workflowId = addRequestWorkflow(emulator, 'catalogue');
    const before = emulator.requests.length;
    const json = typeof targets === 'string' ? targets : JSON.stringify(targets(workflowId));

    const { status, stderr } = await cli(['rotate'], { ROTATION_TARGETS: json, ...env });

    expect(status).toBe(2);
    expect(stderr).toMatch(expected);
    expect(stderr).toMatch(/Fix:|must be|Did you mean/);
    expect(stderr).toContain('Nothing was sent to Azure.');
    expect(emulator.requests.length).toBe(before);
  });
});

const now = Date.now();
const validTags = (workflowId: string) => ({
  keyType: 'Secondary',
  workflowId,
  trigger: 'manual',
  rotatedAt: new Date(now - 40 * day).toISOString(),
  sigFingerprint: '0123456789abcdef',
  managedBy: 'sas-rotator',
});

type SecretState = (
  workflowId: string,
  workflowUrl: (key: 'Primary' | 'Secondary') => string,
) => { value: string; tags: Record<string, string> };
const hostileSecrets: ReadonlyArray<[string, SecretState, RegExp, string]> = [
  [
    "keyType 'Tertiary'",
    (id, url) => ({ value: url('Secondary'), tags: { ...validTags(id), keyType: 'Tertiary' } }),
    /tag keyType is 'Tertiary'; expected 'Primary' or 'Secondary'/,
    'UnusableSecret',
  ],
  [
    'no keyType tag',
    (id, url) => ({ value: url('Secondary'), tags: { ...validTags(id), keyType: undefined as unknown as string } }),
    /tag keyType is missing/,
    'UnusableSecret',
  ],
  [
    'rotatedAt in the future',
    (id, url) => ({ value: url('Secondary'), tags: { ...validTags(id), rotatedAt: '2099-01-01T00:00:00Z' } }),
    /is in the future/,
    'UnusableSecret',
  ],
  [
    'a malformed rotatedAt',
    (id, url) => ({ value: url('Secondary'), tags: { ...validTags(id), rotatedAt: 'last tuesday' } }),
    /tag rotatedAt is 'last tuesday'/,
    'UnusableSecret',
  ],
  [
    "a tag value over Key Vault's limit",
    (id, url) => ({ value: url('Secondary'), tags: { ...validTags(id), rotatedAt: '9'.repeat(300) } }),
    /tag rotatedAt is '9{280}…'/,
    'UnusableSecret',
  ],
  [
    'a secret sas-rotator did not create',
    (_id, url) => ({ value: url('Primary'), tags: { owner: 'team-a' } }),
    /not created by sas-rotator .*adopt/,
    'UnusableSecret',
  ],
  [
    'a secret managed by another tool',
    (id, url) => ({ value: url('Primary'), tags: { ...validTags(id), managedBy: 'other-rotator' } }),
    /tag managedBy is 'other-rotator'/,
    'UnusableSecret',
  ],
  [
    "another workflow's secret",
    (_id, url) => ({
      value: url('Secondary'),
      tags: { ...validTags(`${resourceGroupId}/providers/Microsoft.Logic/workflows/someone-else`) },
    }),
    /tag workflowId is .*someone-else.*, not this target's workflow/,
    'UnusableSecret',
  ],
  [
    'a value that is not a URL',
    (id) => ({ value: 'see wiki page', tags: validTags(id) }),
    /secret value is not a callback URL/,
    'UnusableSecret',
  ],
  [
    'a keyType tag that names the wrong key',
    (id, url) => ({ value: url('Primary'), tags: validTags(id) }),
    /signed with the Primary key although its keyType tag says Secondary/,
    'KeyInUse',
  ],
  [
    'a callback URL hidden in a tag',
    (id, url) => ({ value: url('Secondary'), tags: { ...validTags(id), keyType: pastedUrl } }),
    /tag keyType is '\[REDACTED/,
    'UnusableSecret',
  ],
];

describe('bad input catalogue: existing secrets with missing, malformed or hostile tags', () => {
  it.each(hostileSecrets)('%s: the target fails clearly; nothing regenerated or overwritten', async (_label, state, expected, code) => {
    const workflowId = addRequestWorkflow(emulator, 'hostile');
    const secretName = `hostile-${emulator.requests.length}`;
    const seeded = state(workflowId, (key) => emulator.logic.currentCallbackUrl(workflowId, 'manual', key));
    emulator.keyVault.seed(secretName, seeded.value, {
      tags: Object.fromEntries(Object.entries(seeded.tags).filter(([, v]) => v !== undefined)),
    });
    const writesBefore = writes();

    const { status, stdout } = await cli(['rotate', '--json'], { ROTATION_TARGETS: JSON.stringify([{ workflowId, secretName }]) });

    expect(status).toBe(1);
    const target = JSON.parse(stdout).targets[0];
    expect(target).toMatchObject({ action: 'failed', error: { code } });
    expect(target.error.message).toMatch(expected);
    expect(target.error.message).toContain(secretName);
    expect(target.error.message).toMatch(/Fix: /);
    expect(writes()).toBe(writesBefore);
    expect(emulator.keyVault.versions(secretName)).toHaveLength(1);
    expect(emulator.logic.keyVersionOf(workflowId, 'Primary') + emulator.logic.keyVersionOf(workflowId, 'Secondary')).toBe(0);
  });

  it('takes over a foreign secret only with adopt: true, keeping the URL it held working', async () => {
    const workflowId = addRequestWorkflow(emulator, 'adopted');
    const held = emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Secondary');
    emulator.keyVault.seed('adopted-url', held, { tags: { owner: 'team-a' } });

    const { status, stdout } = await cli(['rotate', '--json'], {
      ROTATION_TARGETS: JSON.stringify([{ workflowId, secretName: 'adopted-url', adopt: true }]),
    });

    expect(status).toBe(0);
    expect(JSON.parse(stdout).targets[0]).toMatchObject({ action: 'rotated', keyType: 'Primary' });
    expect(emulator.logic.isCallbackUrlValid(held)).toBe(true);
    expect(emulator.keyVault.latest('adopted-url')?.tags.managedBy).toBe('sas-rotator');
  });

  it('the catalogue counts at least 25 bad inputs', () => {
    expect(configurationMistakes.length + hostileSecrets.length).toBeGreaterThanOrEqual(25);
  });
});

describe('secret hygiene in errors', () => {
  it('no sig or token appears in any error or report above, not even the pasted ones', () => {
    const text = produced.texts.join('\n');
    expect(text).not.toContain(sig);
    expectNoIssuedSecrets(produced.texts, emulator);
  });
});
