import { DefaultAzureCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import type { FaultRule } from '../../emulator/index';
import type { RotatorSettings } from '../../src/composition/config';
import type { RotationServices } from '../../src/composition/createRotationServices';
import { inspectTarget } from '../../src/rotation/inspectTarget';
import type { RotationTarget } from '../../src/rotation/RotationTarget';
import { runRotation } from '../../src/rotation/runRotation';
import { flowEnvironment, rotationEnabledTags } from '../support/constants';
import { addRequestWorkflow, addSiteWorkflow, keyVersionsOf, settingsFor, uniqueName, useEmulator } from '../support/emulatorEnvironment';
import { expectNoIssuedSecrets, ProducedOutput } from '../support/expectNoIssuedSecrets';
import { InMemoryTargetLeases } from '../support/InMemoryTargetLeases';
import { RecordingTelemetry } from '../support/RecordingTelemetry';
import { useRotationServices } from '../support/rotationServices';

/**
 * Issue 11, the protocol's share: situations in which a target stopped rotating (or left a dead URL
 * published) while the run looked fine. Each ends either rotated or failed with a
 * SasKeyRotationFailed event naming the step, the error code and the fix — never a silent skip.
 * Real SDK clients against the emulator; telemetry is recorded through the protocol's own port.
 */
const emulator = useEmulator();
const rotationServices = useRotationServices(emulator);
const produced = new ProducedOutput();
const recorded: RecordingTelemetry[] = [];

function servicesFor(settings: RotatorSettings, extra: { leases?: InMemoryTargetLeases } = {}) {
  const telemetry = new RecordingTelemetry();
  recorded.push(telemetry);
  return { telemetry, ...rotationServices.withClock(settings, { telemetry, ...extra }) };
}

async function rotate(
  services: RotationServices,
  targets: readonly RotationTarget[],
  options: { abortSignal?: AbortSignal; force?: boolean } = {},
) {
  const result = await runRotation(targets, services, { mode: 'rotate', invocationId: uniqueName('silent'), concurrency: 4, ...options });
  produced.addRun(result);
  return result;
}

/** The client an operator's tooling (or `az keyvault`) uses on the same vault. */
function operatorVaultClient(): SecretClient {
  return new SecretClient(emulator.keyVaultUri, new DefaultAzureCredential(), { disableChallengeResourceVerification: true });
}

/** Key Vault refuses a publish: the identity lost its role on the vault. */
const setSecretForbidden: FaultRule = {
  service: 'keyVault',
  operationId: 'SetSecret',
  status: 403,
  errorCode: 'Forbidden',
  message: 'Caller is not authorized to perform action on resource.',
};

const published = (secretName: string) => emulator.keyVault.latest(secretName)?.value as string;

describe('item 6: a discovered Standard workflow whose published trigger was renamed', () => {
  it('fails with an event (consumers hold a dead URL), while a never-published one is still only skipped', async () => {
    const site = uniqueName('la-renamed');
    const workflowId = addSiteWorkflow(emulator, site, 'intake', { siteTags: rotationEnabledTags });
    const neverPublished = addSiteWorkflow(emulator, site, 'timer', { triggers: { Recurrence: 'Recurrence' } });
    const settings = settingsFor(emulator, [
      { workflowId, secretName: `${site}-intake` },
      { workflowId: neverPublished, secretName: `${site}-timer` },
    ]);
    // As discovery hands them over: workflows of a tagged site, not named by the user.
    const targets = settings.targets.map((target) => ({ ...target, discoveredFromSite: true }));
    const { services, telemetry } = servicesFor(settings);
    const first = await rotate(services, targets);
    expect(first.targets.map((t) => t.action)).toEqual(['rotated', 'skipped']);
    const deadUrl = published(`${site}-intake`);

    emulator.logic.saveStandardWorkflowTriggers(workflowId, { When_a_HTTP_request_is_received: 'Request' });
    expect(emulator.logic.isCallbackUrlValid(deadUrl)).toBe(false);
    const second = await rotate(services, targets);

    expect(second.targets[0]).toMatchObject({ action: 'failed', error: { step: 'listBefore', statusCode: 404 } });
    expect(second.targets[0]?.error?.message).toMatch(/dead URL/);
    expect(second.targets[1]).toMatchObject({ action: 'skipped', skipped: { code: 'NoRequestTrigger' } });
    expect(second.outcome).toBe('Failed');
    expect(telemetry.failed.map((event) => event.workflowId)).toEqual([workflowId]);
  });
});

describe('item 8: a Power Automate hard cut is always finished', () => {
  function flowTarget() {
    const workflowId = emulator.flows.addFlow({ environment: flowEnvironment });
    const secretName = uniqueName('flow-cut');
    const settings = settingsFor(emulator, [{ workflowId, secretName }]);
    return { workflowId, secretName, settings };
  }

  it('publishes the fresh URL although the run deadline fires while the publish is in flight', async () => {
    const { workflowId, secretName, settings } = flowTarget();
    const { services } = servicesFor(settings);
    const deadline = new AbortController();
    emulator.faults.add({ service: 'keyVault', operationId: 'SetSecret', hold: true });

    const running = rotate(services, settings.targets, { abortSignal: deadline.signal });
    const held = await emulator.faults.nextHeld();
    deadline.abort(new Error('deadline'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    held.release();
    const result = await running;

    expect(result.targets[0]).toMatchObject({ action: 'rotated', keyType: 'Primary' });
    expect(emulator.flows.keyVersionOf(workflowId)).toBe(1);
    expect(emulator.logic.isCallbackUrlValid(published(secretName))).toBe(true);
  });

  it('publishes the fresh URL although the lease is lost between regenerate and list-after', async () => {
    const { workflowId, secretName, settings } = flowTarget();
    const leases = new InMemoryTargetLeases();
    const { services } = servicesFor(settings, { leases });
    // The second listCallbackUrl is the list-after, sent once the only key was regenerated.
    emulator.faults.add({ service: 'flow', operationId: 'FlowTriggers_ListCallbackUrl', hold: true, skip: 1 });

    const running = rotate(services, settings.targets);
    const held = await emulator.faults.nextHeld();
    leases.lose(workflowId);
    await new Promise((resolve) => setTimeout(resolve, 50));
    held.release();
    const result = await running;

    expect(result.targets[0]).toMatchObject({ action: 'rotated' });
    expect(emulator.logic.isCallbackUrlValid(published(secretName))).toBe(true);
  });

  it('retries a publish that Key Vault refuses once after a hard cut', async () => {
    const { secretName, settings } = flowTarget();
    const { services } = servicesFor(settings);
    emulator.faults.add(setSecretForbidden);

    const result = await rotate(services, settings.targets);

    expect(result.targets[0]).toMatchObject({ action: 'rotated' });
    expect(emulator.logic.isCallbackUrlValid(published(secretName))).toBe(true);
  });

  it.each([
    ['a forced hard cut (interval not elapsed)', { force: true, advance: 0 }],
    ['a scheduled hard cut (interval elapsed)', { force: false, advance: 31 }],
  ])(
    'after %s whose publish keeps failing: says the URL is dead and what to run; status and the next run repair it first',
    async (_label, { force, advance }) => {
      const { workflowId, secretName, settings } = flowTarget();
      const { services, telemetry, advanceDays } = servicesFor(settings);
      expect((await rotate(services, settings.targets)).targets[0]).toMatchObject({ action: 'rotated' });
      const before = published(secretName);
      advanceDays(advance);
      emulator.faults.add({ ...setSecretForbidden, times: Infinity });

      const failed = await rotate(services, settings.targets, { force });

      expect(failed.targets[0]).toMatchObject({
        action: 'failed',
        error: { step: 'publish', code: 'HardCutNotPublished', statusCode: 403 },
      });
      expect(failed.targets[0]?.error?.message).toMatch(/is now dead/);
      expect(failed.targets[0]?.error?.message).toContain(`sas-rotator rotate --only ${workflowId}`);
      expect(telemetry.failed.at(-1)).toMatchObject({ errorCode: 'HardCutNotPublished', step: 'publish', statusCode: 403 });
      expect(emulator.logic.isCallbackUrlValid(before)).toBe(false);
      const keyVersion = emulator.flows.keyVersionOf(workflowId);

      emulator.faults.clear();
      const status = await inspectTarget(settings.targets[0] as RotationTarget, services);
      expect(status).toMatchObject({ due: true, reason: 'repair', urlWorks: false });
      const repaired = await rotate(services, settings.targets);

      expect(repaired.targets[0]).toMatchObject({ action: 'rotated', reason: 'repair' });
      expect(emulator.flows.keyVersionOf(workflowId)).toBe(keyVersion);
      expect(emulator.logic.isCallbackUrlValid(published(secretName))).toBe(true);
    },
  );
});

describe('item 9: a secret sas-rotator wrote is never adopted again', () => {
  it.each([
    ['adopt: true', true],
    ['adopt: false', false],
  ])(
    "after an operator replaced the latest version's tags (%s), the target fails with UnusableSecret and no key is touched",
    async (_label, adopt) => {
      const workflowId = addRequestWorkflow(emulator, 'retagged');
      const secretName = uniqueName('retagged');
      const settings = settingsFor(emulator, [{ workflowId, secretName, adopt }]);
      const { services, advanceDays } = servicesFor(settings);
      await rotate(services, settings.targets);
      advanceDays(31);
      await rotate(services, settings.targets);
      const [superseded, latest] = emulator.keyVault.versions(secretName);
      // What `az keyvault secret set-attributes --tags keyType=Secondary` does: the PATCH replaces every tag.
      await operatorVaultClient().updateSecretProperties(secretName, latest?.version as string, { tags: { keyType: 'Secondary' } });
      advanceDays(31);
      const keyVersions = () => keyVersionsOf(emulator, workflowId);
      const keysBefore = keyVersions();

      const result = await rotate(services, settings.targets);

      expect(result.targets[0]).toMatchObject({ action: 'failed', error: { step: 'readSecret', code: 'UnusableSecret' } });
      expect(result.targets[0]?.error?.message).toMatch(/written by sas-rotator/);
      expect(result.targets[0]?.error?.message).not.toMatch(/adopt"?: true/);
      expect(keyVersions()).toEqual(keysBefore);
      expect(emulator.logic.isCallbackUrlValid(superseded?.value as string)).toBe(true);
      expect(emulator.keyVault.versions(secretName)).toHaveLength(2);
    },
  );

  it('fails closed when the versions cannot be listed (throttled past the retry cap)', async () => {
    const workflowId = addRequestWorkflow(emulator, 'retag-throttled');
    const secretName = uniqueName('retag-throttled');
    const settings = settingsFor(emulator, [{ workflowId, secretName, adopt: true }]);
    emulator.keyVault.seed(secretName, emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary'), { tags: { owner: 'someone' } });
    const { services } = servicesFor(settings);
    emulator.faults.add({ service: 'keyVault', operationId: 'GetSecretVersions', status: 429, retryAfterSeconds: 0, times: Infinity });

    const result = await rotate(services, settings.targets);

    expect(result.targets[0]).toMatchObject({ action: 'failed', error: { step: 'readSecret', statusCode: 429 } });
    expect(keyVersionsOf(emulator, workflowId)).toEqual([0, 0]);
  });

  it('still adopts a secret no version of which sas-rotator wrote', async () => {
    const workflowId = addRequestWorkflow(emulator, 'adopted');
    const secretName = uniqueName('adopted');
    const settings = settingsFor(emulator, [{ workflowId, secretName, adopt: true }]);
    const portalUrl = emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary');
    emulator.keyVault.seed(secretName, 'https://old.example/', { tags: { owner: 'someone' } });
    emulator.keyVault.seed(secretName, portalUrl, { tags: { owner: 'someone' } });
    const { services } = servicesFor(settings);

    const result = await rotate(services, settings.targets);

    expect(result.targets[0]).toMatchObject({ action: 'rotated', reason: 'first', keyType: 'Secondary' });
    expect(emulator.logic.isCallbackUrlValid(portalUrl)).toBe(true);
  });
});

describe('item 10: a soft-deleted secret', () => {
  async function publishedThenDeleted() {
    const workflowId = addRequestWorkflow(emulator, 'deleted');
    const secretName = uniqueName('deleted');
    const settings = settingsFor(emulator, [{ workflowId, secretName }]);
    const { services, telemetry, advanceDays } = servicesFor(settings);
    await rotate(services, settings.targets);
    const url = published(secretName);
    await (await operatorVaultClient().beginDeleteSecret(secretName)).pollUntilDone();
    const keyVersions = () => keyVersionsOf(emulator, workflowId);
    return { workflowId, secretName, settings, services, telemetry, advanceDays, url, keyVersions };
  }

  it('fails the target naming the deletion and the fix, regenerating nothing; recovered, it rotates again', async () => {
    const { secretName, settings, services, telemetry, url, keyVersions, advanceDays } = await publishedThenDeleted();
    const keysBefore = keyVersions();

    const result = await rotate(services, settings.targets);

    expect(result.targets[0]).toMatchObject({ action: 'failed', error: { step: 'readSecret', code: 'SecretDeleted' } });
    expect(result.targets[0]?.error?.message).toContain(`az keyvault secret recover --vault-name <kv> --name ${secretName}`);
    expect(result.targets[0]?.error?.message).toMatch(/purge/);
    expect(telemetry.failed.at(-1)).toMatchObject({ step: 'readSecret', errorCode: 'SecretDeleted' });
    expect(keyVersions()).toEqual(keysBefore);
    expect(emulator.logic.isCallbackUrlValid(url)).toBe(true);
    const status = await inspectTarget(settings.targets[0] as RotationTarget, services);
    expect(status.error).toMatchObject({ code: 'SecretDeleted' });

    await (await operatorVaultClient().beginRecoverDeletedSecret(secretName)).pollUntilDone();
    advanceDays(31);
    expect((await rotate(services, settings.targets)).targets[0]).toMatchObject({
      action: 'rotated',
      reason: 'interval',
      keyType: 'Primary',
    });
  });

  it.each([
    ['403', { status: 403, errorCode: 'Forbidden', times: Infinity }],
    ['500 past the retries', { status: 500, times: Infinity }],
  ])('fails closed when the deleted-secret check itself fails (%s): nothing regenerated', async (_label, fault) => {
    const workflowId = addRequestWorkflow(emulator, 'deleted-check');
    const settings = settingsFor(emulator, [{ workflowId, secretName: uniqueName('deleted-check') }]);
    const { services } = servicesFor(settings);
    emulator.faults.add({ service: 'keyVault', operationId: 'GetDeletedSecret', ...fault });

    const result = await rotate(services, settings.targets);

    expect(result.targets[0]).toMatchObject({
      action: 'failed',
      error: { step: 'readSecret', code: 'DeletedSecretCheckFailed', statusCode: fault.status },
    });
    expect(result.targets[0]?.error?.message).toMatch(/could not check whether .* soft-deleted/);
    expect(keyVersionsOf(emulator, workflowId)).toEqual([0, 0]);
  });

  it('a purged secret is a first rotation again', async () => {
    const { secretName, settings, services } = await publishedThenDeleted();
    await operatorVaultClient().purgeDeletedSecret(secretName);

    const result = await rotate(services, settings.targets);

    expect(result.targets[0]).toMatchObject({ action: 'rotated', reason: 'first', keyType: 'Secondary' });
  });
});

describe('secret hygiene', () => {
  it('leaked no sig or token into any report or failure message', () => {
    expectNoIssuedSecrets([...produced.texts, ...recorded.map((telemetry) => JSON.stringify(telemetry))], emulator);
  });
});
