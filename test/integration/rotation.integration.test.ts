import { SecretClient } from '@azure/keyvault-secrets';
import { DefaultAzureCredential } from '@azure/identity';
import { telemetryEventMeasurements, telemetryEventProperties } from '../../src/azure/appInsights/telemetryEventNames';
import type { RotationServices } from '../../src/composition/createRotationServices';
import { runRotation } from '../../src/rotation/runRotation';
import { sigFingerprint } from '../../src/rotation/sigFingerprint';
import type { RotatorSettings } from '../../src/composition/config';
import { day, resourceGroupId } from '../support/constants';
import { addRequestWorkflow, keyVersionsOf, settingsFor, sigOf, useEmulator } from '../support/emulatorEnvironment';
import { expectNoIssuedSecrets, ProducedOutput } from '../support/expectNoIssuedSecrets';
import { useRotationServices } from '../support/rotationServices';

const emulator = useEmulator();
/** Real adapters and SDK clients; `withClock` makes "30 days later" take no time. */
const rotationServices = useRotationServices(emulator);
/** Every report this file produced, checked for secrets at the end. */
const reports = new ProducedOutput();

async function rotate(settings: RotatorSettings, services: RotationServices, invocationId = 'test-run') {
  const result = await runRotation(settings.targets, services, { mode: 'rotate', invocationId, concurrency: settings.concurrency });
  await services.telemetry.flush();
  reports.addRun(result);
  return result;
}

/** A fresh HTTP-triggered workflow whose URL is published to `${name}-url`, with its settings and services. */
function oneTarget(name: string) {
  const workflowId = addRequestWorkflow(emulator, name);
  const settings = settingsFor(emulator, [{ workflowId, secretName: `${name}-url` }]);
  return { workflowId, settings, services: rotationServices.create(settings) };
}

describe('rotation end to end through the real Azure SDK clients against the emulator', () => {
  it('alternates Secondary, Primary, Secondary over three runs and every published URL works when published', async () => {
    const workflowId = addRequestWorkflow(emulator, 'orders');
    const settings = settingsFor(emulator, [{ workflowId, secretName: 'alternation-url' }]);
    const { services, advanceDays } = rotationServices.withClock(settings);
    const portalUrl = emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary');

    const keys: string[] = [];
    const published: string[] = [];
    for (let run = 0; run < 3; run++) {
      const result = await rotate(settings, services);
      expect(result.targets[0]).toMatchObject({ action: 'rotated', reason: run === 0 ? 'first' : 'interval' });
      keys.push(result.targets[0]?.keyType as string);
      const latest = emulator.keyVault.latest('alternation-url');
      published.push(latest?.value as string);
      expect(emulator.logic.isCallbackUrlValid(published[run] as string)).toBe(true);
      if (run === 0) expect(emulator.logic.isCallbackUrlValid(portalUrl)).toBe(true);
      if (run >= 1) expect(emulator.logic.isCallbackUrlValid(published[run - 1] as string)).toBe(true);
      advanceDays(31);
    }
    expect(keys).toEqual(['Secondary', 'Primary', 'Secondary']);
    // Rotation 3 regenerated the key of URL 1: that one, and only that one, is dead now.
    expect(emulator.logic.isCallbackUrlValid(published[0] as string)).toBe(false);
    expect(emulator.keyVault.versions('alternation-url')).toHaveLength(3);
  });

  it('publishes the value, contentType, tags and expiresOn of docs/design.md §5, readable by a consumer with SecretClient', async () => {
    const workflowId = addRequestWorkflow(emulator, 'contract');
    const settings = settingsFor(emulator, [{ workflowId, secretName: 'contract-url', intervalDays: 10 }]);
    const services = rotationServices.create(settings);
    const before = Date.now();

    const result = await rotate(settings, services);

    const consumer = new SecretClient(settings.keyVaultUri, new DefaultAzureCredential(), { disableChallengeResourceVerification: true });
    const secret = await consumer.getSecret('contract-url');
    const url = emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Secondary');
    expect(secret.value).toBe(url);
    expect(new URL(url).searchParams.get('sp')).toBe('/triggers/manual/run');
    expect(secret.properties.contentType).toBe('text/uri-list');
    expect(secret.properties.version).toBe(result.targets[0]?.secretVersion);
    const tags = secret.properties.tags ?? {};
    expect(tags).toEqual({
      keyType: 'Secondary',
      workflowId,
      trigger: 'manual',
      rotatedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      sigFingerprint: sigFingerprint(sigOf(url)),
      managedBy: 'sas-rotator',
    });
    const rotatedAt = Date.parse(tags.rotatedAt as string);
    expect(rotatedAt).toBeGreaterThanOrEqual(before - 1000);
    // Key Vault stores whole seconds.
    expect(Math.abs((secret.properties.expiresOn?.getTime() ?? 0) - (rotatedAt + 20 * day))).toBeLessThan(1000);
  });

  it('records SasKeyRotated, SasKeyRotationFailed and SasKeyRotationRun envelopes with the contract properties', async () => {
    const good = addRequestWorkflow(emulator, 'telemetry');
    const recurrence = addRequestWorkflow(emulator, 'timer-only', { Recurrence: 'Recurrence' });
    const settings = settingsFor(emulator, [{ workflowId: good }, { workflowId: recurrence, trigger: 'Recurrence' }]);
    const services = rotationServices.create(settings);
    emulator.appInsights.clear();

    await rotate(settings, services, 'telemetry-run');

    const events = emulator.appInsights.envelopes
      .map(
        (envelope) =>
          envelope.data as {
            baseType?: string;
            baseData?: { name: string; properties: Record<string, string>; measurements: Record<string, number> };
          },
      )
      .filter((data) => data.baseType === 'EventData' && data.baseData?.properties?.invocationId === 'telemetry-run')
      .map((data) => data.baseData as { name: string; properties: Record<string, string>; measurements: Record<string, number> });
    const rotated = events.find((e) => e.name === 'SasKeyRotated');
    const failed = events.find((e) => e.name === 'SasKeyRotationFailed');
    const run = events.find((e) => e.name === 'SasKeyRotationRun');
    expect(rotated?.properties).toMatchObject({
      workflowId: good,
      trigger: 'manual',
      keyType: 'Secondary',
      secretName: expect.stringMatching(/-manual-url$/),
      secretVersion: expect.stringMatching(/^[0-9a-f]{32}$/),
      oldSigFingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
      newSigFingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
      sigChanged: 'true',
    });
    expect(rotated?.measurements.durationMs).toEqual(expect.any(Number));
    expect(failed?.properties).toMatchObject({
      workflowId: recurrence,
      trigger: 'Recurrence',
      step: 'listBefore',
      statusCode: '400',
      errorCode: 'ApiNotSupported',
    });
    expect(failed?.properties.message).toMatch(/not supported by triggers of type 'Recurrence'/);
    expect(run?.properties).toMatchObject({ outcome: 'PartiallyFailed', isPastDue: 'false' });
    // Exactly the contract's properties (docs/design.md §6, as telemetryEventNames.ts lists them for the
    // workbook and alert queries): dashboards break on renames, and extras are contract changes.
    expect(Object.keys(rotated?.properties ?? {}).sort()).toEqual([...telemetryEventProperties.SasKeyRotated].sort());
    expect(Object.keys(failed?.properties ?? {}).sort()).toEqual([...telemetryEventProperties.SasKeyRotationFailed].sort());
    expect(Object.keys(run?.properties ?? {}).sort()).toEqual([...telemetryEventProperties.SasKeyRotationRun].sort());
    expect(Object.keys(run?.measurements ?? {}).sort()).toEqual([...telemetryEventMeasurements.SasKeyRotationRun].sort());
    expect(failed?.properties.keyType).toBe('Secondary');
    expect(run?.measurements).toMatchObject({ targets: 2, rotated: 1, skipped: 0, failed: 1 });
  });

  it('isolates failures: a broken target fails alone, with step, status and Azure error code, and the others rotate', async () => {
    const missing = `${resourceGroupId}/providers/Microsoft.Logic/workflows/does-not-exist`;
    const good = addRequestWorkflow(emulator, 'isolated');
    const settings = settingsFor(emulator, [{ workflowId: missing }, { workflowId: good }]);

    const result = await rotate(settings, rotationServices.create(settings));

    expect(result.outcome).toBe('PartiallyFailed');
    expect(result.targets[0]).toMatchObject({ action: 'failed', error: { step: 'listBefore', statusCode: 404, code: 'ResourceNotFound' } });
    expect(result.targets[1]).toMatchObject({ action: 'rotated', keyType: 'Secondary' });
  });

  it('fails at verify and publishes nothing when regenerateAccessKey answers 200 but the key did not change', async () => {
    const { settings, services } = oneTarget('liar');
    emulator.faults.add({ operationId: 'Workflows_RegenerateAccessKey', status: 200, times: 1 });

    const result = await rotate(settings, services);

    expect(result.targets[0]).toMatchObject({ action: 'failed', error: { step: 'verify', code: 'SigUnchanged' } });
    expect(emulator.keyVault.latest('liar-url')).toBeUndefined();
  });

  it('trusts sig over the answer: a regenerate that reports 500 after replacing the key still publishes a working URL', async () => {
    const { settings, services } = oneTarget('flaky');
    emulator.faults.add({ operationId: 'Workflows_RegenerateAccessKey', status: 500, afterProcessing: true, times: Infinity });

    const result = await rotate(settings, services);

    expect(result.targets[0]).toMatchObject({ action: 'rotated', keyType: 'Secondary' });
    expect(emulator.logic.isCallbackUrlValid(emulator.keyVault.latest('flaky-url')?.value as string)).toBe(true);
  });

  it('repairs a published URL whose key was regenerated outside sas-rotator', async () => {
    const { workflowId, settings, services } = oneTarget('repair');
    await rotate(settings, services);
    emulator.logic.regenerateAccessKey(workflowId, 'Secondary');
    expect(emulator.logic.isCallbackUrlValid(emulator.keyVault.latest('repair-url')?.value as string)).toBe(false);

    const result = await rotate(settings, services);

    expect(result.targets[0]).toMatchObject({ action: 'rotated', reason: 'repair', keyType: 'Secondary' });
    expect(emulator.logic.isCallbackUrlValid(emulator.keyVault.latest('repair-url')?.value as string)).toBe(true);
  });

  it('skips a target that is not due and whose URL works, and regenerates nothing', async () => {
    const { workflowId, settings, services } = oneTarget('steady');
    await rotate(settings, services);
    const keyVersions = keyVersionsOf(emulator, workflowId);

    const result = await rotate(settings, services);

    expect(result.outcome).toBe('NothingDue');
    expect(result.targets[0]).toMatchObject({ action: 'skipped', reason: 'notDue' });
    expect(keyVersionsOf(emulator, workflowId)).toEqual(keyVersions);
    expect(emulator.keyVault.versions('steady-url')).toHaveLength(1);
  });

  it('never overwrites a secret that sas-rotator did not create, and regenerates nothing for it', async () => {
    const workflowId = addRequestWorkflow(emulator, 'foreign');
    emulator.keyVault.seed('foreign-url', 'https://example.com/hand-made', { tags: { owner: 'team-a' } });
    const settings = settingsFor(emulator, [{ workflowId, secretName: 'foreign-url' }]);

    const result = await rotate(settings, rotationServices.create(settings));

    expect(result.targets[0]).toMatchObject({ action: 'failed', error: { step: 'readSecret', code: 'UnusableSecret' } });
    expect(result.targets[0]?.error?.message).toMatch(/not created by sas-rotator.*adopt/);
    expect(emulator.keyVault.versions('foreign-url')).toHaveLength(1);
    expect(emulator.logic.keyVersionOf(workflowId, 'Secondary')).toBe(0);
  });

  it('leaked no sig or token into any report or telemetry envelope of the runs above', async () => {
    await rotationServices.flushTelemetry();
    expectNoIssuedSecrets(reports.texts, emulator);
  });
});
