import type { FaultRule } from '../../emulator/index';
import type { RetrySettings } from '../../src/azure/core/azureRetryPolicy';
import type { RotatorSettings } from '../../src/composition/config';
import type { RotationServices } from '../../src/composition/createRotationServices';
import { runRotation, type RotationRunResult } from '../../src/rotation/runRotation';
import { minute } from '../support/constants';
import { addRequestWorkflow, settingsFor, useEmulator } from '../support/emulatorEnvironment';
import { expectNoIssuedSecrets, ProducedOutput } from '../support/expectNoIssuedSecrets';
import { fastRetry } from '../support/fastRetry';
import { useRotationServices } from '../support/rotationServices';

const emulator = useEmulator();
const rotationServices = useRotationServices(emulator);
const produced = new ProducedOutput();

let counter = 0;
/** A target rotated once already, then 31 days later: due, with a published URL consumers use. */
async function rotatedOnceTarget(retry: RetrySettings = fastRetry) {
  counter += 1;
  const workflowId = addRequestWorkflow(emulator, 'faulty');
  const secretName = `faulty-${counter}-url`;
  const settings = settingsFor(emulator, [{ workflowId, secretName }]);
  const { services, advanceDays } = rotationServices.withClock(settings, { retry });
  await run(settings, services);
  advanceDays(31);
  const published = emulator.keyVault.latest(secretName)?.value as string;
  return { settings, services, secretName, published };
}

async function run(settings: RotatorSettings, services: RotationServices, abortSignal?: AbortSignal): Promise<RotationRunResult> {
  const result = await runRotation(settings.targets, services, {
    mode: 'rotate',
    invocationId: `fault-${counter}`,
    concurrency: 4,
    abortSignal,
  });
  await services.telemetry.flush();
  produced.addRun(result);
  return result;
}

/** Each call the protocol makes, in order, and the step it belongs to. */
const protocolCalls = [
  { call: 'Key Vault read', step: 'readSecret', rule: { operationId: 'GetSecret' } },
  { call: 'first listCallbackUrl', step: 'listBefore', rule: { operationId: 'WorkflowTriggers_ListCallbackUrl' } },
  { call: 'regenerateAccessKey', step: 'regenerate', rule: { operationId: 'Workflows_RegenerateAccessKey' } },
  { call: 'second listCallbackUrl', step: 'listAfter', rule: { operationId: 'WorkflowTriggers_ListCallbackUrl', skip: 1 } },
  { call: 'Key Vault write', step: 'publish', rule: { operationId: 'SetSecret' } },
  { call: 'telemetry export', step: undefined, rule: { operationId: 'Track' } },
] as const;

const transientFaults: ReadonlyArray<[string, FaultRule]> = [
  ['503', { status: 503 }],
  ['429 with Retry-After', { status: 429, retryAfterSeconds: 1 }],
  ['408', { status: 408 }],
  ['a dropped connection', { dropConnection: true }],
  ['a 500 after doing the work', { status: 500, afterProcessing: true }],
];

describe('fault tolerance: every call of the protocol, every kind of transient fault', () => {
  const cases = protocolCalls.flatMap(({ call, rule }) =>
    transientFaults.map(([fault, faultRule]) => [call, fault, { ...rule, ...faultRule }] as const),
  );

  it.each(cases)('%s failing once with %s: the target still rotates and the published URL works', async (_call, _fault, rule) => {
    const { settings, services, secretName, published } = await rotatedOnceTarget();
    const seen = emulator.requests.length;
    emulator.faults.add({ ...rule, times: 1 });

    const result = await run(settings, services);

    const faulted = emulator.requests
      .slice(seen)
      .filter((r) => r.operationId === rule.operationId && r.status === (rule.dropConnection ? 0 : rule.status));
    expect(faulted).toHaveLength(1);
    expect(result.targets[0]).toMatchObject({ action: 'rotated', keyType: 'Primary' });
    if (rule.operationId === 'Track') {
      const delivered = emulator.appInsights.envelopes.some((e) => JSON.stringify(e).includes(`"invocationId":"${result.invocationId}"`));
      expect(delivered).toBe(true);
    }
    expect(emulator.logic.isCallbackUrlValid(emulator.keyVault.latest(secretName)?.value as string)).toBe(true);
    expect(emulator.logic.isCallbackUrlValid(published)).toBe(true);
  });
});

describe('fault tolerance: persistent faults end in a clean failure', () => {
  it.each(protocolCalls.filter((c) => c.step !== undefined))(
    '$call failing every time: failed at its step, the published URL still works',
    async ({ step, rule }) => {
      const { settings, services, secretName, published } = await rotatedOnceTarget();
      const versionsBefore = emulator.keyVault.versions(secretName).length;
      emulator.faults.add({ ...rule, status: 503, times: Infinity });

      const result = await run(settings, services);

      expect(result.targets[0]).toMatchObject({ action: 'failed', error: { step, statusCode: 503 } });
      expect(emulator.keyVault.versions(secretName)).toHaveLength(versionsBefore);
      expect(emulator.keyVault.latest(secretName)?.value).toBe(published);
      expect(emulator.logic.isCallbackUrlValid(published)).toBe(true);
    },
  );

  it('a telemetry export that always fails does not fail the rotation', async () => {
    const { settings, services, secretName } = await rotatedOnceTarget();
    emulator.faults.add({ operationId: 'Track', status: 503, times: Infinity });

    const result = await run(settings, services);

    expect(result.targets[0]).toMatchObject({ action: 'rotated' });
    expect(emulator.logic.isCallbackUrlValid(emulator.keyVault.latest(secretName)?.value as string)).toBe(true);
  });

  it('a target throttled beyond the longest allowed wait fails at once with 429, and the others in the run rotate', async () => {
    const throttled = await rotatedOnceTarget();
    const other = addRequestWorkflow(emulator, 'unthrottled');
    const settings = settingsFor(emulator, [
      { workflowId: throttled.settings.targets[0]?.workflowId as string, secretName: throttled.secretName },
      { workflowId: other, secretName: 'unthrottled-url' },
    ]);
    emulator.faults.add({
      operationId: 'Workflows_RegenerateAccessKey',
      pathIncludes: throttled.settings.targets[0]?.workflowId,
      status: 429,
      retryAfterSeconds: 3600,
      times: Infinity,
    });

    const result = await run(settings, throttled.services);

    expect(result.targets[0]).toMatchObject({ action: 'failed', error: { step: 'regenerate', statusCode: 429 } });
    expect(result.targets[1]).toMatchObject({ action: 'rotated' });
    expect(emulator.logic.isCallbackUrlValid(throttled.published)).toBe(true);
  });

  it("the run's deadline cuts a Retry-After wait short", async () => {
    const patient: RetrySettings = { ...fastRetry, maxSingleWaitInMs: 10 * minute };
    const { settings, services, published } = await rotatedOnceTarget(patient);
    emulator.faults.add({ operationId: 'Workflows_RegenerateAccessKey', status: 429, retryAfterSeconds: 600, times: Infinity });
    const deadline = new AbortController();
    setTimeout(() => deadline.abort(), 200).unref();

    // Were the 600 s wait not abortable, this would outlast the test's timeout.
    const result = await run(settings, services, deadline.signal);

    expect(result.targets[0]).toMatchObject({ action: 'failed', error: { step: 'regenerate' } });
    expect(emulator.logic.isCallbackUrlValid(published)).toBe(true);
  }, 30_000);
});

describe('secret hygiene under faults', () => {
  it('no sig or token appears in any report or telemetry envelope produced by the fault suite', async () => {
    await rotationServices.flushTelemetry();
    expectNoIssuedSecrets(produced.texts, emulator);
  });
});
