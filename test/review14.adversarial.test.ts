import { RestError } from '@azure/core-rest-pipeline';
import { ConfigurationError, loadSettings } from '../src/composition/config';
import { parseCallbackUrl, type CallbackUrl } from '../src/rotation/CallbackUrl';
import { parseDependent, type Dependent } from '../src/rotation/Dependent';
import type { OperationOptions } from '../src/rotation/ports';
import type { RotationTarget } from '../src/rotation/RotationTarget';
import { rotateTarget, type RotationDependencies } from '../src/rotation/rotateTarget';
import { errorThrownBy } from './support/errorThrownBy';
import { InMemoryCallbackUrlStore } from './support/InMemoryCallbackUrlStore';
import { InMemoryDependents } from './support/InMemoryDependents';
import { InMemoryWorkflowHost } from './support/InMemoryWorkflowHost';
import { ordersTarget } from './support/ordersTarget';
import { RecordingTelemetry } from './support/RecordingTelemetry';

/**
 * Adversarial review of issue 14 (dependents), protocol and configuration level. Every test here
 * failed when written: each is a way a dependent sas-rotator knows about gets cut off, stuck, or
 * leaks, or a bad configuration that is accepted.
 */

const providers = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers';
const urlNamedValue = `${providers}/Microsoft.ApiManagement/service/gateway/namedValues/orders-url`;
const sigNamedValue = `${providers}/Microsoft.ApiManagement/service/gateway/namedValues/orders-sig`;
const day = 24 * 60 * 60 * 1000;

function setup(dependentIds: readonly string[] = [urlNamedValue]) {
  const target: RotationTarget = { ...ordersTarget, dependents: dependentIds.map((id) => parseDependent(id) as Dependent) };
  const { workflowId } = target;
  const host = new InMemoryWorkflowHost();
  host.addWorkflow(workflowId);
  const store = new InMemoryCallbackUrlStore();
  const telemetry = new RecordingTelemetry();
  const gateway = new InMemoryDependents();
  let now = new Date('2026-01-01T03:00:00Z');
  const dependencies: RotationDependencies = { gateway: host, store, telemetry, dependents: gateway, now: () => now };
  const rotate = (mode: 'rotate' | 'dryRun' | 'revoke' = 'rotate', force = false) =>
    rotateTarget(target, dependencies, { mode, force, invocationId: `run-${now.toISOString()}` });
  const works = (resourceId: string): boolean => {
    const value = gateway.valueOf(resourceId) as string;
    const sig = parseCallbackUrl(value)?.sig ?? value;
    return (['Primary', 'Secondary'] as const).some((key) => parseCallbackUrl(host.urlFor(workflowId, 'manual', key))?.sig === sig);
  };
  const advanceDays = (days: number) => {
    now = new Date(now.getTime() + days * day);
  };
  const url = (key: 'Primary' | 'Secondary') => host.urlFor(workflowId, 'manual', key);
  return { target, host, store, telemetry, gateway, rotate, works, advanceDays, url };
}

describe('review 14: the first rotation when a dependent already holds the Secondary URL', () => {
  // Found by the review: the gate refused the Secondary regeneration, and with nothing published yet to move
  // the dependent to, every later run failed the same way. Now the first rotation regenerates the key no
  // dependent holds.
  it('regenerates the key no dependent holds (Primary) and moves the dependent to the new URL, never cutting it off', async () => {
    // An operator pasted the Secondary URL from the portal's "keys" blade into APIM before enabling sas-rotator.
    const { host, gateway, rotate, works, url } = setup();
    gateway.set(urlNamedValue, { value: url('Secondary') });

    const first = await rotate();

    expect(first).toMatchObject({ action: 'rotated', reason: 'first', keyType: 'Primary' });
    expect(host.calls.filter((call) => call.startsWith('regenerate'))).toEqual(['regenerate Primary']);
    expect(first.dependents?.[0]).toMatchObject({ outcome: 'updated' });
    expect(works(urlNamedValue)).toBe(true);
    expect(gateway.valueOf(urlNamedValue)).toBe(url('Primary'));
  });

  it('refuses, with its own fix, when dependents hold both keys; a dry run predicts the refusal', async () => {
    const { host, gateway, rotate, works, url } = setup([urlNamedValue, sigNamedValue]);
    gateway.set(urlNamedValue, { value: url('Secondary') });
    gateway.set(sigNamedValue, { value: parseCallbackUrl(url('Primary'))?.sig as string });

    const dry = await rotate('dryRun');
    const real = await rotate();

    expect(real).toMatchObject({ action: 'failed', error: { code: 'DependentNotUpdated' } });
    expect(real.error?.message).toMatch(/Nothing is published yet to move it to.*Fix: point every dependent at the same key's URL/);
    expect(dry).toMatchObject({ action: 'failed', error: { code: 'DependentNotUpdated' } });
    expect(host.calls.some((call) => call.startsWith('regenerate'))).toBe(false);
    expect(works(urlNamedValue) && works(sigNamedValue)).toBe(true);
  });
});

describe('review 14: step 1 pushes the latest published URL even when it is dead', () => {
  it('a dependent holding a working URL is overwritten with the dead published one, and is left cut off when the run then fails', async () => {
    const { host, gateway, rotate, works, advanceDays, url, target } = setup();
    // Run 1: Secondary published; the named value's update fails once (a transient 409, say): it keeps the portal URL.
    gateway.set(urlNamedValue, { value: url('Primary') });
    gateway.failUpdate.set(urlNamedValue, 409);
    await rotate();
    gateway.failUpdate.delete(urlNamedValue);
    expect(works(urlNamedValue)).toBe(true);

    // Someone regenerates Secondary by hand: the published URL is dead. The named value (Primary) still works.
    await host.regenerateAccessKey(target, 'Secondary');
    expect(works(urlNamedValue)).toBe(true);

    // A due rotation (or `rotate --force`) whose regeneration then fails.
    advanceDays(31);
    host.regenerateBehaviour = 'fail';
    const result = await rotate();
    expect(result.action).toBe('failed');

    // sas-rotator itself replaced a working URL with a dead one: the dependent it promised to keep is cut off.
    expect(works(urlNamedValue)).toBe(true);
  });
});

/** A named value's API that quotes the value it refused, as APIM's validation errors do. */
class EchoingDependents extends InMemoryDependents {
  override async update(dependent: Dependent, _target: RotationTarget, url: CallbackUrl, _options?: OperationOptions): Promise<void> {
    throw new RestError(`Property 'value' with value '${url.sig}' is invalid for named value '${dependent.resourceId.split('/').pop()}'.`, {
      statusCode: 400,
      code: 'ValidationError',
    });
  }
}

describe('review 14: errors echoing a bare sig', () => {
  it('a dependent whose management API echoes the bare sig in its error does not leak it into the result or telemetry', async () => {
    const target: RotationTarget = { ...ordersTarget, dependents: [parseDependent(sigNamedValue) as Dependent] };
    const host = new InMemoryWorkflowHost();
    host.addWorkflow(target.workflowId);
    const store = new InMemoryCallbackUrlStore();
    const telemetry = new RecordingTelemetry();
    const gateway = new EchoingDependents();
    gateway.set(sigNamedValue, { value: parseCallbackUrl(host.urlFor(target.workflowId, 'manual', 'Primary'))?.sig as string });
    const result = await rotateTarget(
      target,
      { gateway: host, store, telemetry, dependents: gateway, now: () => new Date('2026-01-01T03:00:00Z') },
      { mode: 'rotate', invocationId: 'echo' },
    );
    expect(result.action).toBe('rotated');
    const newSig = parseCallbackUrl(store.latest(target.secretName)?.value as string)?.sig as string;
    const everything = JSON.stringify({ result, failed: telemetry.dependentsFailed });
    expect(everything).toContain('ValidationError');
    // The sig is a bearer credential; keepDependents knows it and could cut it out of any message.
    expect(everything).not.toContain(newSig);
  });
});

describe('review 14: bad dependents configuration is exit 2 with nothing sent', () => {
  const keyVault = { KEY_VAULT_URI: 'https://kv-rotator.vault.azure.net/' };
  const workflow = (name: string) => `${providers}/Microsoft.Logic/workflows/${name}`;
  const problemsOf = (targets: object[]) =>
    errorThrownBy(ConfigurationError, () => loadSettings({ ...keyVault, ROTATION_TARGETS: JSON.stringify(targets) })).problems;

  it('one APIM named value listed on two targets (they would overwrite it with their own URL on every run)', () => {
    // The second spelling differs in case only: ARM IDs are case-insensitive, it is the same named value.
    const problems = problemsOf([
      { workflowId: workflow('orders'), dependents: [urlNamedValue] },
      { workflowId: workflow('invoices'), dependents: [urlNamedValue.replace('orders-url', 'ORDERS-URL').replace('/rg/', '/RG/')] },
    ]);
    expect(problems.join('\n')).toMatch(/orders-url/);
  });

  it('one Event Grid subscription listed on two targets (it has one endpoint: the two would take it from each other)', () => {
    const subscriptionLevel = `/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.EventGrid/eventSubscriptions/to-orders`;
    const problems = problemsOf([
      { workflowId: workflow('orders'), dependents: [subscriptionLevel] },
      { workflowId: workflow('invoices'), dependents: [subscriptionLevel] },
    ]);
    expect(problems.join('\n')).toMatch(/to-orders/);
  });
});
