import type { TargetMode } from '../../src/rotation/rotateTarget';
import type { RotationServices } from '../../src/composition/createRotationServices';
import type { RotationTarget } from '../../src/rotation/RotationTarget';
import { runRotation } from '../../src/rotation/runRotation';
import { resourceGroup, standardResourceGroup, subscriptionId } from '../support/constants';
import { keyVersionsOf, settingsFor, uniqueName, useEmulator, type TargetSpec } from '../support/emulatorEnvironment';
import { expectNoIssuedSecrets, ProducedOutput } from '../support/expectNoIssuedSecrets';
import { RecordingTelemetry } from '../support/RecordingTelemetry';
import { useRotationServices } from '../support/rotationServices';

/**
 * Issue 12, item 5: the product asks a trigger's listCallbackUrl for a chosen key with a `{keyType}`
 * body that no spec declares. On a host that ignored it, every listing would answer the Primary URL,
 * so "regenerate Secondary, then check that its sig changed" would be judged against the wrong URL —
 * and an adoption would regenerate the very key its consumers use. Wherever no published URL
 * identifies a key, sas-rotator first checks that the two keys' URLs differ, and otherwise stops
 * with `KeyTypeIgnored`, regenerating nothing. Real SDK clients against the emulator.
 */
const emulator = useEmulator();
const rotationServices = useRotationServices(emulator);
const produced = new ProducedOutput();

type TwoKeyHost = 'standard' | 'consumption';

/**
 * A fresh workflow, its target publishing to `<name>-<secretSuffix>`, and services with a clock and
 * recorded telemetry. The workflow's name (unique) also identifies its ARM calls in the emulator's request log.
 */
function newTarget(host: TwoKeyHost, secretSuffix: string, spec: Omit<TargetSpec, 'workflowId' | 'secretName'> = {}) {
  const name = uniqueName(`kt-${host}`);
  const workflowId =
    host === 'standard'
      ? emulator.logic.addStandardWorkflow({ subscriptionId, resourceGroup: standardResourceGroup, site: name, name: 'intake' })
      : emulator.logic.addWorkflow({ subscriptionId, resourceGroup, name });
  const secretName = `${name}-${secretSuffix}`;
  const settings = settingsFor(emulator, [{ workflowId, secretName, ...spec }]);
  const telemetry = new RecordingTelemetry();
  return { workflowId, name, secretName, targets: settings.targets, telemetry, ...rotationServices.withClock(settings, { telemetry }) };
}

async function run(services: RotationServices, targets: readonly RotationTarget[], mode: TargetMode = 'rotate') {
  const result = await runRotation(targets, services, { mode, invocationId: uniqueName('keytype'), concurrency: 4 });
  produced.addRun(result);
  return result;
}

/** ARM POSTs (each counts against the subscription's write budget) of one workflow, by operation. */
const armCalls = (name: string, operation: 'ListCallbackUrl' | 'RegenerateAccessKey') =>
  emulator.requests.filter(
    (r) => r.service === 'arm' && r.operationId.endsWith(operation) && r.path.toLowerCase().includes(name.toLowerCase()),
  ).length;

describe.each<TwoKeyHost>(['standard', 'consumption'])('%s: a host that ignores keyType in listCallbackUrl', (host) => {
  it('fails the first rotation with KeyTypeIgnored: no key regenerated, no secret written, SasKeyRotationFailed recorded', async () => {
    const { workflowId, name, secretName, targets, services, telemetry } = newTarget(host, 'url');
    emulator.logic.ignoreCallbackKeyType(workflowId);

    const result = await run(services, targets);

    expect(result.targets[0]).toMatchObject({ action: 'failed', reason: 'first', error: { step: 'listBefore', code: 'KeyTypeIgnored' } });
    expect(result.targets[0]?.error?.message).toMatch(/ignores keyType in listCallbackUrl.*nothing was regenerated.*Fix: /);
    expect(result.outcome).toBe('Failed');
    expect(keyVersionsOf(emulator, workflowId)).toEqual([0, 0]);
    expect(armCalls(name, 'RegenerateAccessKey')).toBe(0);
    expect(emulator.keyVault.latest(secretName)).toBeUndefined();
    expect(telemetry.failed).toEqual([expect.objectContaining({ workflowId, step: 'listBefore', errorCode: 'KeyTypeIgnored' })]);
    expect(telemetry.rotated).toEqual([]);
  });

  it('fails an adoption with KeyTypeIgnored instead of regenerating the key the adopted URL uses', async () => {
    const { workflowId, secretName, targets, services, telemetry } = newTarget(host, 'adopted', { adopt: true });
    emulator.logic.ignoreCallbackKeyType(workflowId);
    // What a team copied from the portal: the Primary URL.
    const held = emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary');
    emulator.keyVault.seed(secretName, held, { tags: { owner: 'team-a' } });

    const result = await run(services, targets);

    expect(result.targets[0]).toMatchObject({ action: 'failed', error: { step: 'listBefore', code: 'KeyTypeIgnored' } });
    expect(keyVersionsOf(emulator, workflowId)).toEqual([0, 0]);
    expect(emulator.logic.isCallbackUrlValid(held)).toBe(true);
    expect(emulator.keyVault.versions(secretName)).toHaveLength(1);
    expect(telemetry.failed.map((event) => event.errorCode)).toEqual(['KeyTypeIgnored']);
  });

  it('fails a repair with KeyTypeIgnored instead of publishing a URL whose key it cannot name', async () => {
    const { workflowId, secretName, targets, services, telemetry } = newTarget(host, 'repair');
    expect((await run(services, targets)).targets[0]).toMatchObject({ action: 'rotated', keyType: 'Secondary' });
    // The host changes (a runtime update, say), and the published Secondary key is regenerated elsewhere.
    emulator.logic.ignoreCallbackKeyType(workflowId);
    emulator.logic.regenerateAccessKey(workflowId, 'Secondary');

    const result = await run(services, targets);

    expect(result.targets[0]).toMatchObject({ action: 'failed', reason: 'repair', error: { code: 'KeyTypeIgnored' } });
    expect(keyVersionsOf(emulator, workflowId)).toEqual([0, 2]);
    expect(emulator.keyVault.versions(secretName)).toHaveLength(1);
    expect(telemetry.failed.map((event) => event.errorCode)).toEqual(['KeyTypeIgnored']);
  });

  it('on interval rotations relies on the published URL: rotates correctly where it can, and says KeyTypeIgnored (not KeyInUse) where it cannot', async () => {
    const { workflowId, secretName, targets, services, telemetry, advanceDays } = newTarget(host, 'interval');
    expect((await run(services, targets)).targets[0]).toMatchObject({ action: 'rotated', keyType: 'Secondary' });
    emulator.logic.ignoreCallbackKeyType(workflowId);
    const secondaryUrl = emulator.keyVault.latest(secretName)?.value as string;

    // Asking for Primary is answered with Primary's URL: a correct rotation, checked against the right URL.
    advanceDays(31);
    expect((await run(services, targets)).targets[0]).toMatchObject({ action: 'rotated', reason: 'interval', keyType: 'Primary' });
    const primaryUrl = emulator.keyVault.latest(secretName)?.value as string;
    expect(emulator.logic.isCallbackUrlValid(primaryUrl)).toBe(true);
    expect(emulator.logic.isCallbackUrlValid(secondaryUrl)).toBe(true);

    // Asking for Secondary is answered with the published Primary URL: the in-use guard refuses, and the cause is named.
    advanceDays(31);
    const result = await run(services, targets);
    expect(result.targets[0]).toMatchObject({
      action: 'failed',
      reason: 'interval',
      error: { step: 'listBefore', code: 'KeyTypeIgnored' },
    });
    expect(keyVersionsOf(emulator, workflowId)).toEqual([1, 1]);
    expect(emulator.logic.isCallbackUrlValid(primaryUrl)).toBe(true);
    expect(telemetry.failed.map((event) => event.errorCode)).toEqual(['KeyTypeIgnored']);
  });

  it('fails a revoke with KeyTypeIgnored before regenerating either key', async () => {
    const { workflowId, targets, services } = newTarget(host, 'revoke');
    emulator.logic.ignoreCallbackKeyType(workflowId);

    const result = await run(services, targets, 'revoke');

    expect(result.targets[0]).toMatchObject({ action: 'failed', error: { code: 'KeyTypeIgnored' } });
    expect(keyVersionsOf(emulator, workflowId)).toEqual([0, 0]);
  });
});

describe.each<TwoKeyHost>(['standard', 'consumption'])('%s: a host that honours keyType', (host) => {
  it('still rotates; the check costs one listCallbackUrl on the first rotation and none on an interval rotation', async () => {
    const { name, secretName, targets, services, advanceDays } = newTarget(host, 'normal');

    expect((await run(services, targets)).targets[0]).toMatchObject({ action: 'rotated', reason: 'first', keyType: 'Secondary' });
    // List Secondary, list Primary (the check), regenerate Secondary, list Secondary again.
    expect([armCalls(name, 'ListCallbackUrl'), armCalls(name, 'RegenerateAccessKey')]).toEqual([3, 1]);

    advanceDays(31);
    expect((await run(services, targets)).targets[0]).toMatchObject({ action: 'rotated', reason: 'interval', keyType: 'Primary' });
    expect([armCalls(name, 'ListCallbackUrl'), armCalls(name, 'RegenerateAccessKey')]).toEqual([3 + 2, 2]);
    expect(emulator.logic.isCallbackUrlValid(emulator.keyVault.latest(secretName)?.value as string)).toBe(true);
  });

  it('still adopts a secret, regenerating the key its URL does not use', async () => {
    const { workflowId, secretName, targets, services } = newTarget(host, 'adopt-normal', { adopt: true });
    const held = emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary');
    emulator.keyVault.seed(secretName, held, { tags: { owner: 'team-a' } });

    expect((await run(services, targets)).targets[0]).toMatchObject({ action: 'rotated', keyType: 'Secondary' });
    expect(keyVersionsOf(emulator, workflowId)).toEqual([0, 1]);
    expect(emulator.logic.isCallbackUrlValid(held)).toBe(true);
  });
});

describe('secret hygiene', () => {
  it('leaked no sig or token into any report', () => {
    expectNoIssuedSecrets(produced.texts, emulator);
  });
});
