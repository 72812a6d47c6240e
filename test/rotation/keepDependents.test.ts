import { parseCallbackUrl } from '../../src/rotation/CallbackUrl';
import { parseDependent, type Dependent } from '../../src/rotation/Dependent';
import type { RotationTarget } from '../../src/rotation/RotationTarget';
import { rotateTarget, type RotationDependencies } from '../../src/rotation/rotateTarget';
import { sigFingerprint } from '../../src/rotation/sigFingerprint';
import { InMemoryCallbackUrlStore } from '../support/InMemoryCallbackUrlStore';
import { InMemoryDependents } from '../support/InMemoryDependents';
import { InMemoryWorkflowHost } from '../support/InMemoryWorkflowHost';
import { ordersTarget } from '../support/ordersTarget';
import { RecordingTelemetry } from '../support/RecordingTelemetry';

const subscription = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers';
const sigNamedValue = `${subscription}/Microsoft.ApiManagement/service/gateway/namedValues/orders-sig`;
const urlNamedValue = `${subscription}/Microsoft.ApiManagement/service/gateway/namedValues/orders-url`;
const actionGroup = `${subscription}/Microsoft.Insights/actionGroups/on-call`;
const dependents = [sigNamedValue, urlNamedValue, actionGroup].map((id) => parseDependent(id) as Dependent);
const target: RotationTarget = { ...ordersTarget, dependents };
const { workflowId } = target;
const day = 24 * 60 * 60 * 1000;

/** An estate whose three dependents start with the portal's (Primary) URL, as a team would configure them. */
function setup() {
  const host = new InMemoryWorkflowHost();
  host.addWorkflow(workflowId);
  const store = new InMemoryCallbackUrlStore();
  const telemetry = new RecordingTelemetry();
  const gateway = new InMemoryDependents();
  const portal = parseCallbackUrl(host.urlFor(workflowId, 'manual', 'Primary'));
  gateway.set(sigNamedValue, { value: portal?.sig as string });
  gateway.set(urlNamedValue, { value: portal?.value as string });
  gateway.set(actionGroup, { value: portal?.value as string });
  let now = new Date('2026-01-01T03:00:00Z');
  const dependencies: RotationDependencies = { gateway: host, store, telemetry, dependents: gateway, now: () => now };
  const rotate = (mode: 'rotate' | 'dryRun' | 'revoke' = 'rotate', forTarget = target) =>
    rotateTarget(forTarget, dependencies, { mode, invocationId: `run-${now.toISOString()}` });
  /** Would the dependent's copy be accepted by the workflow now? A sig is checked as the URL it completes. */
  const works = (resourceId: string): boolean => {
    const value = gateway.valueOf(resourceId) as string;
    const sig = parseCallbackUrl(value)?.sig ?? value;
    return (['Primary', 'Secondary'] as const).some((key) => parseCallbackUrl(host.urlFor(workflowId, 'manual', key))?.sig === sig);
  };
  const advanceDays = (days: number) => {
    now = new Date(now.getTime() + days * day);
  };
  return { host, store, telemetry, gateway, rotate, works, advanceDays };
}

describe('dependents: callers that keep their own copy of the URL (docs/design.md §12)', () => {
  it('brings every dependent to each new URL in its own form, and each keeps working across three rotations', async () => {
    const { host, store, gateway, rotate, works, advanceDays, telemetry } = setup();
    for (let rotation = 1; rotation <= 3; rotation++) {
      const result = await rotate();
      expect(result).toMatchObject({ action: 'rotated' });
      expect(result.dependents?.map((d) => d.outcome)).toEqual(['updated', 'updated', 'updated']);
      const published = parseCallbackUrl(store.latest(target.secretName)?.value as string);
      expect(gateway.valueOf(sigNamedValue)).toBe(published?.sig);
      expect(gateway.valueOf(urlNamedValue)).toBe(published?.value);
      expect(gateway.valueOf(actionGroup)).toBe(published?.value);
      for (const id of [sigNamedValue, urlNamedValue, actionGroup]) expect(works(id)).toBe(true);
      advanceDays(31);
    }
    expect(host.calls.filter((call) => call.startsWith('regenerate'))).toEqual([
      'regenerate Secondary',
      'regenerate Primary',
      'regenerate Secondary',
    ]);
    expect(telemetry.dependentsUpdated).toHaveLength(9);
    expect(telemetry.dependentsFailed).toEqual([]);
    // Secret hygiene: events carry fingerprints, never a sig or URL.
    const events = JSON.stringify(telemetry.dependentsUpdated);
    expect(events).not.toMatch(/sig=|https:/);
    expect(telemetry.dependentsUpdated[0]).toMatchObject({ dependentId: sigNamedValue, dependentKind: 'apimNamedValue', form: 'sig' });
  });

  it('a failed dependent update is recorded, and the next rotation does not regenerate the key that dependent still holds', async () => {
    const { host, gateway, rotate, works, advanceDays, telemetry } = setup();
    await rotate(); // Secondary: the dependents move to it
    advanceDays(31);
    gateway.failUpdate.set(actionGroup, 403);
    const second = await rotate(); // Primary regenerated (nobody holds it); the action group stays on Secondary
    expect(second).toMatchObject({ action: 'rotated', keyType: 'Primary' });
    expect(second.dependents?.find((d) => d.resourceId === actionGroup)).toMatchObject({
      outcome: 'failed',
      error: { step: 'dependents', code: 'AuthorizationFailed' },
    });
    expect(telemetry.dependentsFailed).toEqual([
      expect.objectContaining({ dependentId: actionGroup, errorCode: 'AuthorizationFailed', statusCode: 403 }),
    ]);
    expect(works(actionGroup)).toBe(true);

    advanceDays(31);
    const regenerationsBefore = host.calls.filter((call) => call.startsWith('regenerate')).length;
    const third = await rotate(); // would regenerate Secondary: the action group still holds it
    expect(third).toMatchObject({ action: 'failed', error: { step: 'dependents', code: 'DependentNotUpdated' } });
    expect(third.error?.message).toContain(actionGroup);
    expect(host.calls.filter((call) => call.startsWith('regenerate'))).toHaveLength(regenerationsBefore);
    expect(works(actionGroup)).toBe(true);
    expect(telemetry.failed.at(-1)).toMatchObject({ step: 'dependents', errorCode: 'DependentNotUpdated' });

    gateway.failUpdate.delete(actionGroup);
    const fourth = await rotate(); // the update is retried first, then the rotation goes ahead
    expect(fourth).toMatchObject({ action: 'rotated', keyType: 'Secondary' });
    for (const id of [sigNamedValue, urlNamedValue, actionGroup]) expect(works(id)).toBe(true);
  });

  it('a dependent changed by hand back to an older URL is brought to the latest before the gate, so the rotation goes ahead', async () => {
    const { host, gateway, rotate, works, advanceDays } = setup();
    await rotate();
    advanceDays(31);
    await rotate();
    // Someone pastes the URL of the first rotation (Secondary) back: the next rotation regenerates Secondary.
    gateway.set(urlNamedValue, { value: host.urlFor(workflowId, 'manual', 'Secondary') });
    advanceDays(31);
    const result = await rotate();
    expect(result).toMatchObject({ action: 'rotated', keyType: 'Secondary' });
    expect(works(urlNamedValue)).toBe(true);
  });

  it('a dependent that cannot be read blocks the regeneration (its holding is unknown), and nothing is regenerated', async () => {
    const { host, gateway, rotate } = setup();
    gateway.failRead.set(sigNamedValue, 403);
    const result = await rotate();
    expect(result).toMatchObject({ action: 'failed', error: { code: 'DependentNotUpdated' } });
    expect(result.error?.message).toContain(`${sigNamedValue} (could not be read)`);
    expect(host.calls.some((call) => call.startsWith('regenerate'))).toBe(false);
  });

  it('never blocks a healthy estate: a target that is not due only checks its dependents', async () => {
    const { host, rotate, advanceDays, gateway } = setup();
    await rotate();
    advanceDays(1);
    const calls = gateway.calls.length;
    const result = await rotate();
    expect(result).toMatchObject({ action: 'skipped', reason: 'notDue' });
    expect(result.dependents?.map((d) => d.outcome)).toEqual(['current', 'current', 'current']);
    expect(gateway.calls.slice(calls).every((call) => call.startsWith('read'))).toBe(true);
    expect(host.calls.filter((call) => call.startsWith('regenerate'))).toHaveLength(1);
  });

  it('a dry run lists the dependents it would update and changes nothing', async () => {
    const { gateway, rotate, telemetry } = setup();
    const before = [...gateway.stored.entries()];
    const result = await rotate('dryRun');
    expect(result).toMatchObject({ action: 'planned' });
    expect(result.dependents?.map((d) => [d.resourceId, d.outcome])).toEqual([
      [sigNamedValue, 'planned'],
      [urlNamedValue, 'planned'],
      [actionGroup, 'planned'],
    ]);
    expect([...gateway.stored.entries()]).toEqual(before);
    expect(telemetry.dependentsUpdated).toEqual([]);
  });

  it('revoke ignores the gate on purpose and brings the dependents to the fresh URL before replacing the second key', async () => {
    const { gateway, rotate, works, host } = setup();
    gateway.failUpdate.set(actionGroup, 403);
    const result = await rotate('revoke');
    expect(result).toMatchObject({ action: 'revoked' });
    expect(host.calls.filter((call) => call.startsWith('regenerate'))).toEqual(['regenerate Secondary', 'regenerate Primary']);
    expect(works(sigNamedValue)).toBe(true);
    expect(works(urlNamedValue)).toBe(true);
    // The one that could not be updated was cut off, as a revoke must: it is reported.
    expect(works(actionGroup)).toBe(false);
    expect(result.dependents?.find((d) => d.resourceId === actionGroup)?.outcome).toBe('failed');
  });

  it('checks a Key Vault reference instead of writing it: versionless and to the target secret, or a reported failure', async () => {
    const keyVaultNamedValue = `${subscription}/Microsoft.ApiManagement/service/gateway/namedValues/orders-kv`;
    const withReference: RotationTarget = { ...target, dependents: [parseDependent(keyVaultNamedValue) as Dependent] };
    const { gateway, rotate, telemetry, store } = setup();
    gateway.set(keyVaultNamedValue, { keyVaultSecretIdentifier: `${store.vaultUrl}secrets/orders-manual-url` });
    expect((await rotate('rotate', withReference)).dependents).toEqual([
      { resourceId: keyVaultNamedValue, kind: 'apimNamedValue', outcome: 'referencesSecret' },
    ]);

    gateway.set(keyVaultNamedValue, { keyVaultSecretIdentifier: `${store.vaultUrl}secrets/orders-manual-url/0123456789abcdef` });
    const pinned = await rotate('rotate', withReference);
    expect(pinned.dependents?.[0]).toMatchObject({ outcome: 'failed', error: { code: 'DependentReferencePinned' } });
    expect(pinned.dependents?.[0]?.error?.message).toContain(`${store.vaultUrl}secrets/orders-manual-url (no version)`);
    expect(gateway.calls.some((call) => call.startsWith('update'))).toBe(false);
    expect(telemetry.dependentsFailed.at(-1)).toMatchObject({ errorCode: 'DependentReferencePinned' });
  });

  it('reports fingerprints of what each dependent held, never the sig', async () => {
    const { host, rotate } = setup();
    const portalSig = parseCallbackUrl(host.urlFor(workflowId, 'manual', 'Primary'))?.sig as string;
    const result = await rotate();
    expect(result.dependents?.[0]?.heldSigFingerprints).toEqual([sigFingerprint(portalSig)]);
    expect(JSON.stringify(result)).not.toContain(portalSig);
  });
});
