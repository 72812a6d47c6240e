import { RestError } from '@azure/core-rest-pipeline';
import { parseCallbackUrl } from '../../src/rotation/CallbackUrl';
import type { RotationTarget } from '../../src/rotation/RotationTarget';
import { rotateTarget, type RotationDependencies } from '../../src/rotation/rotateTarget';
import { sigFingerprint } from '../../src/rotation/sigFingerprint';
import { InMemoryCallbackUrlStore } from '../support/InMemoryCallbackUrlStore';
import { InMemoryWorkflowHost } from '../support/InMemoryWorkflowHost';
import { InMemoryTargetLeases } from '../support/InMemoryTargetLeases';
import { ordersTarget as target } from '../support/ordersTarget';
import { RecordingTelemetry } from '../support/RecordingTelemetry';

const { workflowId } = target;
const day = 24 * 60 * 60 * 1000;

function setup(start = new Date('2026-01-01T03:00:00Z')) {
  const host = new InMemoryWorkflowHost();
  host.addWorkflow(workflowId);
  const store = new InMemoryCallbackUrlStore();
  const telemetry = new RecordingTelemetry();
  let now = start;
  const dependencies: RotationDependencies = { gateway: host, store, telemetry, now: () => now };
  const advanceDays = (days: number) => {
    now = new Date(now.getTime() + days * day);
  };
  const rotate = (extra: { force?: boolean; mode?: 'rotate' | 'dryRun' | 'revoke' } = {}) =>
    rotateTarget(target, dependencies, { mode: extra.mode ?? 'rotate', force: extra.force, invocationId: 'inv-1' });
  const publishedUrl = () => store.latest(target.secretName)?.value as string;
  return { host, store, telemetry, rotate, advanceDays, publishedUrl };
}

describe('rotateTarget: the rotation protocol for one target', () => {
  it('first rotation regenerates Secondary and publishes its URL, leaving portal (Primary) URLs working', async () => {
    const { host, rotate, publishedUrl, store } = setup();
    const portalUrl = host.urlFor(workflowId, 'manual', 'Primary');

    const result = await rotate();

    expect(result).toMatchObject({ action: 'rotated', reason: 'first', keyType: 'Secondary', secretVersion: 'v1' });
    // Listing Primary too proves the host tells the keys' URLs apart (KeyTypeIgnored otherwise).
    expect(host.calls).toEqual(['list Secondary', 'list Primary', 'regenerate Secondary', 'list Secondary']);
    expect(host.works(workflowId, 'manual', portalUrl)).toBe(true);
    expect(publishedUrl()).toBe(host.urlFor(workflowId, 'manual', 'Secondary'));
    expect(store.latest(target.secretName)?.tags).toMatchObject({
      keyType: 'Secondary',
      managedBy: 'sas-rotator',
      trigger: 'manual',
      workflowId,
    });
  });

  it('alternates Primary/Secondary and every superseded URL keeps working for one more interval', async () => {
    const { host, rotate, advanceDays, publishedUrl } = setup();
    const keys: string[] = [];
    const published: string[] = [];
    for (let run = 0; run < 4; run++) {
      const result = await rotate();
      expect(result.action).toBe('rotated');
      keys.push(result.keyType as string);
      published.push(publishedUrl());
      // The URL published one rotation ago still works; the one before that may not.
      if (run >= 1) expect(host.works(workflowId, 'manual', published[run - 1] as string)).toBe(true);
      if (run >= 2) expect(host.works(workflowId, 'manual', published[run - 2] as string)).toBe(false);
      advanceDays(30);
    }
    expect(keys).toEqual(['Secondary', 'Primary', 'Secondary', 'Primary']);
  });

  it('skips a target whose interval has not elapsed and whose URL still works, without regenerating', async () => {
    const { host, rotate, advanceDays } = setup();
    await rotate();
    advanceDays(29);
    host.calls.length = 0;

    const result = await rotate();

    expect(result).toMatchObject({ action: 'skipped', reason: 'notDue', keyType: 'Secondary' });
    expect(host.calls).toEqual(['list Secondary']);
  });

  it('repairs a published URL whose key was regenerated outside sas-rotator by republishing the current URL of that key', async () => {
    const { host, rotate, publishedUrl, advanceDays } = setup();
    await rotate();
    advanceDays(1);
    await host.regenerateAccessKey(target, 'Secondary');
    expect(host.works(workflowId, 'manual', publishedUrl())).toBe(false);
    host.calls.length = 0;

    const result = await rotate();

    expect(result).toMatchObject({ action: 'rotated', reason: 'repair', keyType: 'Secondary' });
    expect(host.calls).toEqual(['list Secondary', 'list Primary']);
    expect(host.works(workflowId, 'manual', publishedUrl())).toBe(true);
  });

  it('fails at verify and publishes nothing when regenerateAccessKey reports success but sig did not change', async () => {
    const { host, rotate, store, telemetry } = setup();
    host.regenerateBehaviour = 'noop';

    const result = await rotate();

    expect(result).toMatchObject({ action: 'failed', reason: 'first', error: { step: 'verify', code: 'SigUnchanged' } });
    expect(store.latest(target.secretName)).toBeUndefined();
    expect(telemetry.failed[0]).toMatchObject({ step: 'verify', errorCode: 'SigUnchanged', keyType: 'Secondary' });
  });

  it('trusts the sig, not the answer: a regenerate call that fails after changing the key still publishes', async () => {
    const { host, rotate, publishedUrl } = setup();
    host.regenerateBehaviour = 'failAfterChange';

    const result = await rotate();

    expect(result).toMatchObject({ action: 'rotated', keyType: 'Secondary' });
    expect(host.works(workflowId, 'manual', publishedUrl())).toBe(true);
  });

  it('reports a regenerate failure that changed nothing at step regenerate with Azure status and code', async () => {
    const { host, rotate } = setup();
    host.regenerateBehaviour = 'fail';

    const result = await rotate();

    expect(result.error).toEqual({ step: 'regenerate', statusCode: 500, code: 'InternalServerError', message: 'Internal error' });
  });

  it('leaves the published URL working when publishing fails', async () => {
    const { host, rotate, advanceDays, publishedUrl, store } = setup();
    await rotate();
    const before = publishedUrl();
    advanceDays(31);
    store.failPublish = true;

    const result = await rotate();

    expect(result).toMatchObject({ action: 'failed', error: { step: 'publish', statusCode: 503 } });
    expect(publishedUrl()).toBe(before);
    expect(host.works(workflowId, 'manual', before)).toBe(true);
  });

  it('--force rotates a target that is not due, still alternating', async () => {
    const { rotate } = setup();
    await rotate();
    const result = await rotate({ force: true });
    expect(result).toMatchObject({ action: 'rotated', reason: 'forced', keyType: 'Primary' });
  });

  it('fails, and does not skip, when the URL listed after regenerating carries no sig', async () => {
    const { host, rotate, telemetry } = setup();
    const list = host.listCallbackUrl.bind(host);
    let lists = 0;
    // The third listing of a first rotation is the list-after: list Secondary, list Primary, regenerate, list Secondary.
    host.listCallbackUrl = async (t, key, o) =>
      ++lists === 3
        ? 'https://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-10-01'
        : list(t, key, o);

    const result = await rotate();

    expect(result).toMatchObject({ action: 'failed', error: { code: 'UnsignedCallbackUrl' } });
    expect(telemetry.failed).toHaveLength(1);
  });

  it('refuses to adopt a secret whose URL is pinned to a workflow version: its key cannot be identified', async () => {
    const { host, store } = setup();
    const pinned = host
      .urlFor(workflowId, 'manual', 'Secondary')
      .replace('sp=%2Ftriggers%2Fmanual%2Frun', 'sp=%2Fversions%2F0858%2Ftriggers%2Fmanual%2Frun');
    store.seed(target.secretName, pinned, { owner: 'team-a' });

    const result = await rotateTarget(
      { ...target, adopt: true },
      { gateway: host, store, telemetry: new RecordingTelemetry(), now: () => new Date() },
      { mode: 'rotate', invocationId: 'pinned' },
    );

    expect(result).toMatchObject({ action: 'failed', error: { step: 'readSecret', code: 'UnusableSecret' } });
    expect(host.calls.filter((c) => c.startsWith('regenerate'))).toEqual([]);
  });

  it('a dry run that fails records no telemetry', async () => {
    const { rotate, store, telemetry } = setup();
    store.readLatest = async () => {
      throw new RestError('Forbidden', { statusCode: 403, code: 'Forbidden' });
    };
    const result = await rotate({ mode: 'dryRun' });
    expect(result).toMatchObject({ action: 'failed', error: { step: 'readSecret', statusCode: 403 } });
    expect(telemetry.failed).toEqual([]);
  });

  it('dry run plans without regenerating or publishing', async () => {
    const { host, rotate, store } = setup();
    const result = await rotate({ mode: 'dryRun' });
    expect(result).toMatchObject({ action: 'planned', reason: 'first', keyType: 'Secondary' });
    expect(host.calls).toEqual([]);
    expect(store.latest(target.secretName)).toBeUndefined();
  });

  it('revoke regenerates both keys, publishing the fresh URL before killing the other key', async () => {
    const { host, rotate, publishedUrl } = setup();
    await rotate();
    const leaked = [host.urlFor(workflowId, 'manual', 'Primary'), publishedUrl()];

    const result = await rotate({ mode: 'revoke' });

    expect(result).toMatchObject({ action: 'revoked', reason: 'revoke', keyType: 'Primary' });
    expect(host.calls.slice(-7)).toEqual([
      'list Primary',
      'list Secondary',
      'regenerate Primary',
      'list Primary',
      'list Secondary',
      'regenerate Secondary',
      'list Secondary',
    ]);
    for (const url of leaked) expect(host.works(workflowId, 'manual', url)).toBe(false);
    expect(host.works(workflowId, 'manual', publishedUrl())).toBe(true);
  });

  it('refuses to regenerate the key that signs the published URL when the keyType tag lies', async () => {
    const { host, rotate, store, advanceDays, publishedUrl } = setup();
    await rotate();
    const published = store.latest(target.secretName);
    store.seed(target.secretName, published?.value as string, { ...published?.tags, keyType: 'Primary' });
    advanceDays(31);
    host.calls.length = 0;

    const result = await rotate();

    expect(result).toMatchObject({ action: 'failed', error: { step: 'listBefore', code: 'KeyInUse' } });
    expect(result.error?.message).toMatch(
      /signed with the Secondary key although its keyType tag says Primary.*Fix: set the latest version's keyType tag to Secondary and keep its other tags/,
    );
    // The listing of Primary tells a wrong tag from a host that ignores keyType (the same URL for both keys).
    expect(host.calls).toEqual(['list Secondary', 'list Primary']);
    expect(host.works(workflowId, 'manual', publishedUrl())).toBe(true);
  });

  it('adopting a secret that holds the Secondary URL regenerates Primary instead, so the adopted URL keeps working', async () => {
    const { host, store } = setup();
    const adoptedUrl = host.urlFor(workflowId, 'manual', 'Secondary');
    store.seed(target.secretName, adoptedUrl, { owner: 'team-a' });
    const telemetry = new RecordingTelemetry();

    const result = await rotateTarget(
      { ...target, adopt: true },
      { gateway: host, store, telemetry, now: () => new Date() },
      { mode: 'rotate', invocationId: 'adopt' },
    );

    expect(result).toMatchObject({ action: 'rotated', reason: 'first', keyType: 'Primary' });
    expect(host.works(workflowId, 'manual', adoptedUrl)).toBe(true);
    expect(store.latest(target.secretName)?.tags).toMatchObject({ managedBy: 'sas-rotator', keyType: 'Primary' });
  });

  it('repairs a published URL pinned to a workflow version by publishing the unversioned trigger URL', async () => {
    const { host, rotate, store, advanceDays } = setup();
    await rotate();
    const published = store.latest(target.secretName);
    const pinned = (published?.value as string).replace('sp=%2Ftriggers%2Fmanual%2Frun', 'sp=%2Fversions%2F0858%2Ftriggers%2Fmanual%2Frun');
    store.seed(target.secretName, pinned, { ...published?.tags });
    advanceDays(1);

    const result = await rotate();

    expect(result).toMatchObject({ action: 'rotated', reason: 'repair', keyType: 'Secondary' });
    expect(store.latest(target.secretName)?.value).toBe(host.urlFor(workflowId, 'manual', 'Secondary'));
  });

  it('a revoke that fails on the second key still reports the fresh URL it already published', async () => {
    const { host, rotate } = setup();
    await rotate();
    const regenerate = host.regenerateAccessKey.bind(host);
    let calls = 0;
    host.regenerateAccessKey = async (t, key, o) => {
      if (++calls === 2) throw new RestError('Conflict', { statusCode: 409, code: 'Conflict' });
      return regenerate(t, key, o);
    };

    const result = await rotate({ mode: 'revoke' });

    expect(result).toMatchObject({
      action: 'failed',
      reason: 'revoke',
      keyType: 'Primary',
      error: { step: 'regenerate', statusCode: 409 },
    });
    expect(result.secretVersion).toBe('v2');
    expect(result.newSigFingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('reports the regenerate error, not the follow-up list error, when both fail', async () => {
    const { host, rotate } = setup();
    host.regenerateBehaviour = 'fail';
    const list = host.listCallbackUrl.bind(host);
    let lists = 0;
    host.listCallbackUrl = async (t, key, o) => {
      // The list-after (the third listing of a first rotation).
      if (++lists === 3) throw new RestError('Service unavailable', { statusCode: 503 });
      return list(t, key, o);
    };

    const result = await rotate();

    expect(result.error).toMatchObject({ step: 'regenerate', statusCode: 500, code: 'InternalServerError' });
  });

  it('records fingerprints, never sigs, in telemetry', async () => {
    const { rotate, telemetry, publishedUrl } = setup();
    await rotate();
    const sig = parseCallbackUrl(publishedUrl())?.sig as string;
    expect(telemetry.rotated[0]).toMatchObject({ newSigFingerprint: sigFingerprint(sig), sigChanged: true, invocationId: 'inv-1' });
    expect(JSON.stringify(telemetry.rotated)).not.toContain(sig);
  });

  describe('single writer per target', () => {
    it('skips (does not fail) a target whose lease another run holds, touching nothing', async () => {
      const { host, store, telemetry } = setup();
      const leases = new InMemoryTargetLeases();
      const other = await leases.tryAcquire(target);

      const result = await rotateTarget(
        target,
        { gateway: host, store, telemetry, now: () => new Date(), leases },
        { mode: 'rotate', invocationId: 'overlap' },
      );

      expect(result).toMatchObject({ action: 'skipped', reason: undefined, skipped: { code: 'LeaseHeld' } });
      expect(result.error).toBeUndefined();
      expect(host.calls).toEqual([]);
      expect(store.latest(target.secretName)).toBeUndefined();
      await other?.release();
    });

    it('holds the lease while rotating and gives it back afterwards', async () => {
      const { host, store, telemetry } = setup();
      const leases = new InMemoryTargetLeases();
      let heldDuringRotation = false;
      const list = host.listCallbackUrl.bind(host);
      host.listCallbackUrl = async (t, key, o) => {
        heldDuringRotation = leases.held.has(workflowId.toLowerCase());
        return list(t, key, o);
      };

      const result = await rotateTarget(
        target,
        { gateway: host, store, telemetry, now: () => new Date(), leases },
        { mode: 'rotate', invocationId: 'leased' },
      );

      expect(result.action).toBe('rotated');
      expect(heldDuringRotation).toBe(true);
      expect(leases.held.size).toBe(0);
      expect(leases.released).toEqual([workflowId.toLowerCase()]);
    });

    it('stops at once when the lease is lost mid-rotation, and the published URL still works', async () => {
      const { host, store, telemetry, rotate, advanceDays, publishedUrl } = setup();
      await rotate();
      advanceDays(31);
      const leases = new InMemoryTargetLeases();
      const regenerate = host.regenerateAccessKey.bind(host);
      host.regenerateAccessKey = async (t, key, o) => {
        leases.lose(workflowId);
        o?.abortSignal?.throwIfAborted();
        return regenerate(t, key, o);
      };

      const result = await rotateTarget(
        target,
        { gateway: host, store, telemetry, now: () => new Date(Date.now() + 31 * day), leases },
        { mode: 'rotate', invocationId: 'lost' },
      );

      expect(result).toMatchObject({ action: 'failed', error: { step: 'regenerate' } });
      expect(host.works(workflowId, 'manual', publishedUrl())).toBe(true);
      expect(store.versions.get(target.secretName)?.length).toBe(1);
    });
  });

  describe('single-key hosts (Power Automate): a hard cut', () => {
    const flowId = '/providers/Microsoft.ProcessSimple/environments/Default-1/flows/3f2a9c1e-0b1d-4e2f-9a8b-7c6d5e4f3a2b';
    const flow: RotationTarget = {
      workflowId: flowId,
      host: 'powerAutomate',
      trigger: 'manual',
      secretName: 'flow-url',
      intervalDays: 30,
      adopt: false,
    };

    it('regenerates the one key and publishes the fresh URL at once, every rotation, recorded as a hard cut', async () => {
      const host = new InMemoryWorkflowHost();
      host.addWorkflow(flowId);
      const store = new InMemoryCallbackUrlStore();
      const telemetry = new RecordingTelemetry();
      let now = Date.parse('2026-01-01T00:00:00Z');
      const dependencies = { gateway: host, store, telemetry, now: () => new Date(now) };

      const first = await rotateTarget(flow, dependencies, { mode: 'rotate', invocationId: 'f1' });
      const firstUrl = store.latest('flow-url')?.value as string;
      now += 31 * day;
      const second = await rotateTarget(flow, dependencies, { mode: 'rotate', invocationId: 'f2' });

      expect([first.keyType, second.keyType]).toEqual(['Primary', 'Primary']);
      expect(host.calls.filter((c) => c.startsWith('regenerate'))).toEqual(['regenerate Primary', 'regenerate Primary']);
      expect(host.works(flowId, 'manual', firstUrl)).toBe(false);
      expect(host.works(flowId, 'manual', store.latest('flow-url')?.value as string)).toBe(true);
      expect(telemetry.rotated.map((e) => e.hardCut)).toEqual([true, true]);
    });

    it('skips, and does not fail, a trigger restricted to OAuth callers (no sig to rotate)', async () => {
      const host = new InMemoryWorkflowHost();
      host.addWorkflow(flowId);
      host.listCallbackUrl = async () =>
        'https://default1.environment.api.powerplatform.com/powerautomate/automations/direct/workflows/abc/triggers/manual/paths/invoke?api-version=1';
      const store = new InMemoryCallbackUrlStore();
      const telemetry = new RecordingTelemetry();

      const result = await rotateTarget(
        flow,
        { gateway: host, store, telemetry, now: () => new Date() },
        { mode: 'rotate', invocationId: 'oauth' },
      );

      expect(result).toMatchObject({ action: 'skipped', skipped: { code: 'NoSharedAccessSignature' } });
      expect(result.error).toBeUndefined();
      expect(telemetry.failed).toEqual([]);
      expect(host.calls.filter((c) => c.startsWith('regenerate'))).toEqual([]);
    });
    it('does not start a hard cut once the run deadline fired: nothing regenerated', async () => {
      const host = new InMemoryWorkflowHost();
      host.addWorkflow(flowId);
      const store = new InMemoryCallbackUrlStore();
      const deadline = new AbortController();
      host.listCallbackUrl = async (target, keyType) => {
        deadline.abort(new Error('deadline'));
        return host.urlFor(target.workflowId, target.trigger, keyType);
      };

      const result = await rotateTarget(
        flow,
        { gateway: host, store, telemetry: new RecordingTelemetry(), now: () => new Date() },
        { mode: 'rotate', invocationId: 'late', abortSignal: deadline.signal },
      );

      expect(result.action).toBe('failed');
      expect(result.error?.code).not.toBe('HardCutNotPublished');
      expect(host.calls.filter((c) => c.startsWith('regenerate'))).toEqual([]);
    });
  });

  it('regenerates nothing for a soft-deleted secret and names the fix', async () => {
    const { host, rotate, store, telemetry } = setup();
    await rotate();
    store.softDelete(target.secretName);
    host.calls.length = 0;

    const result = await rotate();

    expect(result).toMatchObject({ action: 'failed', error: { step: 'readSecret', code: 'SecretDeleted' } });
    expect(result.error?.message).toMatch(/az keyvault secret recover/);
    expect(host.calls).toEqual([]);
    expect(telemetry.failed.at(-1)).toMatchObject({ errorCode: 'SecretDeleted' });
  });
});
