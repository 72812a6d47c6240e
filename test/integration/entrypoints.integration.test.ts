import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliInProcess } from '../support/cliInProcess';
import { builtCliPath, startBuiltCli } from '../support/cliProcess';
import { addRequestWorkflow, useEmulator } from '../support/emulatorEnvironment';
import { expectNoIssuedSecrets, ProducedOutput } from '../support/expectNoIssuedSecrets';
import { functionInvocation, timerTrigger } from '../support/functionInvocation';

const emulator = useEmulator({ callsFunctionHandlers: true });
/** Everything this file's entry points printed or logged, checked for secrets at the end. */
const output = new ProducedOutput();

function targetsJson(specs: ReadonlyArray<Record<string, unknown>>): string {
  return JSON.stringify(specs);
}

const cli = (argv: string[], env: Record<string, string | undefined> = {}) => runCliInProcess(emulator, argv, env, { output });
const invocation = (invocationId: string) => functionInvocation(invocationId, { output });

describe('the timer function handler', () => {
  it('rotates the configured targets, logs one line per target and a summary, and warns when past due', async () => {
    const workflowId = addRequestWorkflow(emulator, 'timer');
    process.env.ROTATION_TARGETS = targetsJson([{ workflowId, secretName: 'timer-url' }]);
    const { rotateSasKeys } = await import('../../src/functions/rotateSasKeys');
    const { context, lines } = invocation('handler-1');

    const result = await rotateSasKeys(timerTrigger(true), context);

    expect(result).toMatchObject({ outcome: 'Succeeded', invocationId: 'handler-1' });
    expect(emulator.logic.isCallbackUrlValid(emulator.keyVault.latest('timer-url')?.value as string)).toBe(true);
    expect(lines.some((l) => /^warning: .*past due/.test(l))).toBe(true);
    expect(lines.some((l) => /^information: rotated .*timer-url.*Secondary key/.test(l))).toBe(true);
    expect(lines.some((l) => /Rotation run Succeeded: 1 rotated, 0 skipped, 0 failed of 1 targets/.test(l))).toBe(true);
    const run = emulator.appInsights.envelopes.find(
      (e) => JSON.stringify(e).includes('"handler-1"') && JSON.stringify(e).includes('SasKeyRotationRun'),
    );
    expect(JSON.stringify(run)).toContain('"isPastDue":"true"');
  });

  it('on bad settings logs every problem, sends nothing to Azure but a Failed run event, and fails the invocation', async () => {
    const before = emulator.requests.filter((r) => r.service !== 'appInsights').length;
    emulator.appInsights.clear();
    process.env.ROTATION_TARGETS = '[{"workflowId": "/subscriptions/oops"}]';
    const { rotateSasKeys } = await import('../../src/functions/rotateSasKeys');
    const { context, lines } = invocation('handler-bad');

    await expect(rotateSasKeys(timerTrigger(false), context)).rejects.toThrow(/Invalid configuration/);

    expect(lines.some((l) => /^error: Configuration: ROTATION_TARGETS\[0\]/.test(l))).toBe(true);
    expect(emulator.requests.filter((r) => r.service !== 'appInsights').length).toBe(before);
    // The alerts see a run that could not start: a Failed SasKeyRotationRun of this invocation.
    expect(emulator.appInsights.envelopes.map((e) => e.data?.baseData)).toEqual([
      expect.objectContaining({
        name: 'SasKeyRotationRun',
        properties: expect.objectContaining({ outcome: 'Failed', invocationId: 'handler-bad' }),
      }),
    ]);
  });
});

describe('the sas-rotator CLI', () => {
  it('rotate --json prints the docs/design.md §7 report and exits 1 when a target failed', async () => {
    const good = addRequestWorkflow(emulator, 'cli');
    const timerOnly = addRequestWorkflow(emulator, 'cli-timer', { Recurrence: 'Recurrence' });
    const targets = targetsJson([
      { workflowId: good, secretName: 'cli-url' },
      { workflowId: timerOnly, trigger: 'Recurrence', secretName: 'cli-timer-url' },
    ]);

    const { status, stdout } = await cli(['rotate', '--json'], { ROTATION_TARGETS: targets });

    expect(status).toBe(1);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ outcome: 'PartiallyFailed', invocationId: expect.any(String) });
    expect(report.targets[0]).toEqual({
      workflowId: good,
      trigger: 'manual',
      secretName: 'cli-url',
      action: 'rotated',
      reason: 'first',
      keyType: 'Secondary',
      secretVersion: expect.stringMatching(/^[0-9a-f]{32}$/),
      oldSigFingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
      newSigFingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
      dependents: [],
    });
    expect(report.targets[1]).toMatchObject({ action: 'failed', error: { step: 'listBefore', statusCode: 400, code: 'ApiNotSupported' } });
  });

  it('rotate --dry-run plans without touching keys or secrets; --force --only rotates one target now', async () => {
    const a = addRequestWorkflow(emulator, 'dry');
    const b = addRequestWorkflow(emulator, 'dry');
    const targets = targetsJson([
      { workflowId: a, secretName: 'dry-a' },
      { workflowId: b, secretName: 'dry-b' },
    ]);

    const dry = await cli(['rotate', '--dry-run', '--json'], { ROTATION_TARGETS: targets });
    expect(dry.status).toBe(0);
    expect(JSON.parse(dry.stdout).targets.map((t: { action: string }) => t.action)).toEqual(['planned', 'planned']);
    expect(emulator.keyVault.latest('dry-a')).toBeUndefined();
    expect(emulator.logic.keyVersionOf(a, 'Secondary')).toBe(0);

    await cli(['rotate'], { ROTATION_TARGETS: targets });
    const forced = await cli(['rotate', '--force', '--only', a, '--json'], { ROTATION_TARGETS: targets });
    expect(forced.status).toBe(0);
    const report = JSON.parse(forced.stdout);
    expect(report.targets).toHaveLength(1);
    expect(report.targets[0]).toMatchObject({ workflowId: a, action: 'rotated', reason: 'forced', keyType: 'Primary' });
  });

  it('status --json shows key in use, dates, due and whether the published URL works, and writes nothing', async () => {
    const workflowId = addRequestWorkflow(emulator, 'status');
    const fresh = addRequestWorkflow(emulator, 'status-new');
    const targets = targetsJson([
      { workflowId, secretName: 'status-url' },
      { workflowId: fresh, secretName: 'status-new-url' },
    ]);
    await cli(['rotate'], { ROTATION_TARGETS: targets.replace(`,{"workflowId":"${fresh}","secretName":"status-new-url"}`, '') });
    emulator.logic.regenerateAccessKey(workflowId, 'Secondary');
    const writesBefore = emulator.requests.filter(
      (r) => r.operationId === 'SetSecret' || r.operationId === 'Workflows_RegenerateAccessKey',
    ).length;

    const { status, stdout } = await cli(['status', '--json'], { ROTATION_TARGETS: targets });

    expect(status).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.targets[0]).toMatchObject({
      workflowId,
      secretName: 'status-url',
      keyType: 'Secondary',
      due: true,
      reason: 'repair',
      urlWorks: false,
    });
    expect(report.targets[0].rotatedAt).toMatch(/Z$/);
    expect(report.targets[0].expiresOn).toMatch(/Z$/);
    expect(report.targets[1]).toMatchObject({ workflowId: fresh, due: true, reason: 'first' });
    expect(emulator.requests.filter((r) => r.operationId === 'SetSecret' || r.operationId === 'Workflows_RegenerateAccessKey').length).toBe(
      writesBefore,
    );
  });

  it('status exits 1 when it cannot read a target, and says unknown (null) rather than guessing', async () => {
    const workflowId = addRequestWorkflow(emulator, 'unreadable');
    emulator.keyVault.seed('unreadable-url', 'hand-made', { tags: { owner: 'team-b' } });

    const { status, stdout } = await cli(['status', '--json'], {
      ROTATION_TARGETS: targetsJson([{ workflowId, secretName: 'unreadable-url' }]),
    });

    expect(status).toBe(1);
    expect(JSON.parse(stdout).targets[0]).toMatchObject({
      due: null,
      reason: null,
      urlWorks: null,
      keyType: null,
      error: { step: 'readSecret', code: 'UnusableSecret' },
    });
  });

  it('rotate --targets FILE reads the targets from the file instead of ROTATION_TARGETS', async () => {
    const workflowId = addRequestWorkflow(emulator, 'from-file');
    const file = join(mkdtempSync(join(tmpdir(), 'sas-rotator-')), 'targets.json');
    writeFileSync(file, targetsJson([{ workflowId, secretName: 'from-file-url' }]));

    const { status, stdout } = await cli(['rotate', '--targets', file, '--json'], { ROTATION_TARGETS: '[{' });

    expect(status).toBe(0);
    expect(JSON.parse(stdout).targets).toEqual([expect.objectContaining({ workflowId, secretName: 'from-file-url', action: 'rotated' })]);
  });

  it('revoke --only regenerates both keys: every URL handed out before dies, the fresh published one works', async () => {
    const workflowId = addRequestWorkflow(emulator, 'leaked');
    const targets = targetsJson([{ workflowId, secretName: 'leaked-url' }]);
    await cli(['rotate'], { ROTATION_TARGETS: targets });
    const leaked = [
      emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary'),
      emulator.keyVault.latest('leaked-url')?.value as string,
    ];

    const { status, stdout } = await cli(['revoke', '--only', workflowId, '--json'], { ROTATION_TARGETS: targets });

    expect(status).toBe(0);
    expect(JSON.parse(stdout).targets[0]).toMatchObject({ action: 'revoked', reason: 'revoke', keyType: 'Primary' });
    for (const url of leaked) expect(emulator.logic.isCallbackUrlValid(url)).toBe(false);
    expect(emulator.logic.isCallbackUrlValid(emulator.keyVault.latest('leaked-url')?.value as string)).toBe(true);
  });

  it('shows progress on a terminal, one line per finished target, on stderr', async () => {
    const targets = targetsJson([
      { workflowId: addRequestWorkflow(emulator, 'progress'), secretName: 'progress-a' },
      { workflowId: addRequestWorkflow(emulator, 'progress'), secretName: 'progress-b' },
    ]);
    const { status, stderr } = await runCliInProcess(emulator, ['rotate'], { ROTATION_TARGETS: targets }, { output, isTerminal: true });
    expect(status).toBe(0);
    expect(stderr).toMatch(/^Warning: .*\n\[1\/2\] rotated .*\n\[2\/2\] rotated .*\n$/);
  });

  it('works as the installed `sas-rotator` binary: a real process with the documented exit status', async () => {
    expect(existsSync(builtCliPath)).toBe(true); // `npm test` builds dist/ first
    const targets = targetsJson([{ workflowId: addRequestWorkflow(emulator, 'binary'), secretName: 'binary-url' }]);
    const { status, stdout, stderr } = await startBuiltCli(
      ['rotate', '--json'],
      { ...process.env, ...emulator.environment(), ROTATION_TARGETS: targets },
      { output },
    ).exited;

    expect(stderr).toBe(
      'Warning: No AzureWebJobsStorage settings: running without the per-target lease, so a concurrent run (timer, another instance, the CLI) is not excluded.\n',
    );
    expect(status).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ outcome: 'Succeeded', targets: [{ secretName: 'binary-url', action: 'rotated' }] });
  });

  it.each([
    ['bad targets JSON', ['rotate'], { ROTATION_TARGETS: '[{' }, /not valid JSON/],
    ['a missing vault', ['rotate'], { KEY_VAULT_URI: '' }, /KEY_VAULT_URI is not set/],
    ['revoke without --only', ['revoke'], {}, /revoke needs --only/],
    ['an unknown option', ['rotate', '--frobnicate'], {}, /Unknown option/],
    ['an unknown command', ['rotato'], {}, /Unknown command 'rotato'/],
    ['--only naming no target', ['rotate', '--only', '/subscriptions/x'], {}, /no configured target has this workflowId/],
    ['a missing targets file', ['rotate', '--targets', '/nonexistent/targets.json'], {}, /cannot read the file/],
  ])('exits 2 on %s and sends zero requests', async (_label, argv, env, expected) => {
    const workflowId = addRequestWorkflow(emulator, 'untouched');
    const before = emulator.requests.length;

    const { status, stderr } = await cli(argv, { ROTATION_TARGETS: JSON.stringify([{ workflowId }]), ...env });

    expect(status).toBe(2);
    expect(stderr).toMatch(expected);
    expect(emulator.requests.length).toBe(before);
  });
});

describe('secret hygiene', () => {
  it('no sig, callback URL or token appears in any log line, CLI output or telemetry envelope produced above', () => {
    expectNoIssuedSecrets(output.texts, emulator);
  });
});
