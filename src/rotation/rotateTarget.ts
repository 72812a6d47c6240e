import { buildPublication } from './buildPublication';
import type { CallbackUrl } from './CallbackUrl';
import { currentCallbackUrl } from './currentCallbackUrl';
import { describeFailure } from './describeFailure';
import { otherKey, type KeyType } from './KeyType';
import { isTriggerUrl, planRotation, type KeyInUsePolicy } from './planRotation';
import type { CallbackUrlStore, OperationOptions, TargetLeaseHandle, TargetLeases, WorkflowGateway } from './ports';
import { readPublicationState } from './readPublicationState';
import type { RotationTarget } from './RotationTarget';
import type { RotationTelemetry } from './RotationTelemetry';
import type { RotationStep } from './RotationStep';
import { sigFingerprint } from './sigFingerprint';
import { untouchedResult, type DueReason, type TargetResult } from './TargetResult';
import { TargetRotationError } from './TargetRotationError';
import { hasSingleKey } from './WorkflowHost';

export interface RotationDependencies {
  readonly gateway: WorkflowGateway;
  readonly store: CallbackUrlStore;
  readonly telemetry: RotationTelemetry;
  readonly now: () => Date;
  /** Single writer per target; undefined only where no shared storage exists (the CLI warns). */
  readonly leases?: TargetLeases;
  /** ARM write budget per subscription, so the runner can start targets that will not have to wait. */
  readonly writeBudget?: { available(subscription: string): boolean };
}

export type TargetMode = 'rotate' | 'dryRun' | 'revoke';

export interface RotateTargetOptions extends OperationOptions {
  readonly mode: TargetMode;
  /** Rotate even if not due (still alternating). */
  readonly force?: boolean;
  readonly invocationId: string;
}

type Publication = Pick<TargetResult, 'secretVersion' | 'oldSigFingerprint' | 'newSigFingerprint'>;

/**
 * The rotation protocol for one target (DESIGN §3). Only a key that no published URL uses is
 * regenerated, and the secret write is the single publication step, so a failure or crash at any
 * step leaves the published URL working. Never throws: the outcome, failures included, is the result.
 */
export async function rotateTarget(
  target: RotationTarget,
  dependencies: RotationDependencies,
  options: RotateTargetOptions,
): Promise<TargetResult> {
  if (options.mode === 'dryRun' || !dependencies.leases) {
    return rotateLeasedTarget(target, dependencies, options, undefined);
  }
  let lease: TargetLeaseHandle | undefined;
  try {
    lease = await dependencies.leases.tryAcquire(target, { abortSignal: options.abortSignal });
  } catch (thrown) {
    const failure = describeFailure('readSecret', thrown);
    dependencies.telemetry.trackTargetFailed({
      workflowId: target.workflowId,
      trigger: target.trigger,
      keyType: undefined,
      step: failure.step,
      statusCode: failure.statusCode,
      errorCode: failure.code,
      message: `Could not take the target's lease: ${failure.message}`,
      invocationId: options.invocationId,
      durationMs: 0,
    });
    return untouchedResult(target, 'failed', { error: failure });
  }
  if (!lease) {
    return untouchedResult(target, 'skipped', {
      skipped: { code: 'LeaseHeld', message: 'Another run (timer, instance or CLI) is rotating this target right now; it was left alone.' },
    });
  }
  try {
    return await rotateLeasedTarget(target, dependencies, options, lease);
  } finally {
    await lease.release();
  }
}

/** The protocol proper, run while holding the target's lease (if leases are in use). */
async function rotateLeasedTarget(
  target: RotationTarget,
  dependencies: RotationDependencies,
  options: RotateTargetOptions,
  lease: TargetLeaseHandle | undefined,
): Promise<TargetResult> {
  const { gateway, store, telemetry } = dependencies;
  const startedAt = performance.now();
  // Losing the lease (renewal failed) stops every call at once, like the run's deadline does.
  const signals = [options.abortSignal, lease?.lostSignal].filter((signal): signal is AbortSignal => signal !== undefined);
  const io: OperationOptions = { abortSignal: signals.length > 1 ? AbortSignal.any(signals) : signals[0] };
  const base = { workflowId: target.workflowId, trigger: target.trigger, secretName: target.secretName };
  let step: RotationStep = 'readSecret';
  let reason: DueReason | null = options.mode === 'revoke' ? 'revoke' : null;
  let keyType: KeyType | undefined;
  /** What was already published when a later step failed (a revoke's second key). */
  let published: Publication | undefined;

  try {
    const now = dependencies.now();
    const state = readPublicationState(target, await store.readLatest(target.secretName, io), now);

    if (options.mode === 'revoke') {
      if (hasSingleKey(target.host)) {
        keyType = 'Primary';
        const { after, before } = await regenerateVerified(keyType, undefined, 'hardCut');
        return { ...base, reason, keyType, action: 'revoked', ...(await publish(keyType, after, before.sig)) };
      }
      keyType = state && !('adopted' in state) ? otherKey(state.keyType) : 'Secondary';
      const { after, before } = await regenerateVerified(keyType);
      published = await publish(keyType, after, before.sig);
      // The fresh URL is published first, so consumers always have one that works; only then is
      // the key of the previously published (possibly leaked) URL replaced as well.
      await regenerateVerified(otherKey(keyType));
      return { ...base, reason, keyType, action: 'revoked', ...published };
    }

    step = 'listBefore';
    const plan = await planRotation(target, state, gateway, now, { ...io, force: options.force ?? false });
    reason = plan.reason;
    keyType = plan.keyType;

    switch (plan.kind) {
      case 'none':
        return {
          ...base,
          reason,
          keyType,
          action: 'skipped',
          secretVersion: state && !('adopted' in state) ? state.secretVersion : undefined,
          oldSigFingerprint: undefined,
          newSigFingerprint: undefined,
        };
      case 'republish': {
        if (options.mode === 'dryRun') {
          return planned();
        }
        step = 'verify';
        verifyTriggerUrl(plan.currentUrl, plan.keyType);
        const oldSig = state && !('adopted' in state) ? state.callbackUrl.sig : undefined;
        return { ...base, reason, keyType, action: 'rotated', ...(await publish(plan.keyType, plan.currentUrl, oldSig)) };
      }
      case 'regenerate': {
        if (options.mode === 'dryRun') {
          return planned();
        }
        const { key, before, after } = await regenerateVerified(plan.keyType, plan.urlInUse, plan.ifKeyInUse);
        keyType = key;
        return { ...base, reason, keyType, action: 'rotated', ...(await publish(key, after, before.sig)) };
      }
    }
  } catch (thrown) {
    const failure = describeFailure(step, thrown);
    const skipped = skipInsteadOfFailing(target, failure, step);
    if (skipped) {
      return { ...base, action: 'skipped', reason, keyType, secretVersion: undefined, oldSigFingerprint: undefined, newSigFingerprint: undefined, skipped };
    }
    // A dry run changes nothing and records nothing: its failures are reported to the operator only.
    if (options.mode !== 'dryRun') telemetry.trackTargetFailed({
      workflowId: target.workflowId,
      trigger: target.trigger,
      keyType,
      step: failure.step,
      statusCode: failure.statusCode,
      errorCode: failure.code,
      message: failure.message,
      invocationId: options.invocationId,
      durationMs: elapsedMs(startedAt),
    });
    return {
      ...base,
      action: 'failed',
      reason,
      keyType,
      secretVersion: published?.secretVersion,
      oldSigFingerprint: published?.oldSigFingerprint,
      newSigFingerprint: published?.newSigFingerprint,
      error: failure,
    };
  }

  function planned(): TargetResult {
    return { ...base, reason, keyType, action: 'planned', secretVersion: undefined, oldSigFingerprint: undefined, newSigFingerprint: undefined };
  }

  /**
   * Steps 2–4: note the sig, regenerate, list again, and insist that sig changed. Refuses to
   * regenerate the key that signs `urlInUse`, whatever the tags claim.
   */
  async function regenerateVerified(
    requestedKey: KeyType,
    urlInUse?: CallbackUrl,
    ifKeyInUse: KeyInUsePolicy = 'refuse',
  ): Promise<{ key: KeyType; before: CallbackUrl; after: CallbackUrl }> {
    let key = requestedKey;
    step = 'listBefore';
    let before = await currentCallbackUrl(target, key, gateway, io);
    if (urlInUse && before.sig === urlInUse.sig && ifKeyInUse !== 'hardCut') {
      if (ifKeyInUse === 'refuse') {
        throw new TargetRotationError({
          step: 'listBefore',
          code: 'KeyInUse',
          message: `the published URL in secret '${target.secretName}' is signed with the ${key} key although its keyType tag says ${otherKey(key)}; regenerating ${key} would break it, so nothing was regenerated. Fix: set the secret's keyType tag to ${key}.`,
        });
      }
      key = otherKey(key);
      before = await currentCallbackUrl(target, key, gateway, io);
    }
    step = 'regenerate';
    let regenerateError: unknown;
    try {
      await gateway.regenerateAccessKey(target, key, io);
    } catch (thrown) {
      if (io.abortSignal?.aborted) {
        throw thrown;
      }
      // The seed's troubleshooting: a call that reports failure may still have replaced the key.
      // The sig decides, not the answer.
      regenerateError = thrown;
    }
    let after: CallbackUrl;
    try {
      step = 'listAfter';
      after = await currentCallbackUrl(target, key, gateway, io);
    } catch (thrown) {
      if (regenerateError !== undefined) {
        step = 'regenerate';
        throw regenerateError;
      }
      throw thrown;
    }
    if (after.sig === before.sig) {
      if (regenerateError !== undefined) {
        step = 'regenerate';
        throw regenerateError;
      }
      step = 'verify';
      throw new TargetRotationError({
        step: 'verify',
        code: 'SigUnchanged',
        message: `regenerateAccessKey (${key}) reported success but the sig of trigger '${target.trigger}' did not change (fingerprint ${sigFingerprint(after.sig)}); nothing was published.`,
      });
    }
    step = 'verify';
    verifyTriggerUrl(after, key);
    return { key, before, after };
  }

  function verifyTriggerUrl(url: CallbackUrl, key: KeyType): void {
    if (!isTriggerUrl(url, target)) {
      throw new TargetRotationError({
        step: 'verify',
        code: 'UnexpectedSignedPath',
        message: `the ${key} callback URL of ${target.workflowId} is signed for '${url.signedPath}', not '/triggers/${target.trigger}/run'; nothing was published.`,
      });
    }
  }

  async function publish(key: KeyType, url: CallbackUrl, oldSig: string | undefined): Promise<Publication> {
    step = 'publish';
    const { version } = await store.publish(target.secretName, buildPublication(target, key, url, dependencies.now()), io);
    const oldSigFingerprint = oldSig === undefined ? undefined : sigFingerprint(oldSig);
    const newSigFingerprint = sigFingerprint(url.sig);
    telemetry.trackTargetRotated({
      ...base,
      keyType: key,
      secretVersion: version,
      oldSigFingerprint: oldSigFingerprint ?? '',
      newSigFingerprint,
      sigChanged: oldSig !== url.sig,
      hardCut: hasSingleKey(target.host),
      invocationId: options.invocationId,
      durationMs: elapsedMs(startedAt),
    });
    return { secretVersion: version, oldSigFingerprint, newSigFingerprint };
  }
}

/**
 * Situations that are not failures of the target: a trigger restricted to OAuth callers has no SAS
 * to rotate, and a workflow found through a tagged Standard site may simply have no Request trigger.
 */
function skipInsteadOfFailing(target: RotationTarget, failure: { step: string; statusCode?: number; code?: string }, protocolStep: RotationStep): TargetResult['skipped'] {
  // Only before anything was regenerated: a URL without sig after a regeneration is a failure.
  if (failure.code === 'UnsignedCallbackUrl' && protocolStep === 'listBefore') {
    return { code: 'NoSharedAccessSignature', message: "The trigger's callback URL carries no sig (it accepts OAuth callers only): there is no SAS key to rotate." };
  }
  if (target.discoveredFromSite && failure.step === 'listBefore' && (failure.code === 'ApiNotSupported' || failure.statusCode === 404)) {
    return { code: 'NoRequestTrigger', message: `Workflow of a tagged Standard site without a Request trigger named '${target.trigger}'.` };
  }
  return undefined;
}

function elapsedMs(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}
