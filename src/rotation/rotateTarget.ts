import { triggerSignedPath, type CallbackUrl } from './CallbackUrl';
import { otherKey, type KeyType } from './KeyType';
import type { CallbackUrlStore, OperationOptions, WorkflowGateway } from './ports';
import { currentCallbackUrl, planRotation } from './planRotation';
import { buildPublication, readPublicationState } from './publicationState';
import type { RotationTarget } from './RotationTarget';
import type { RotationTelemetry } from './RotationTelemetry';
import type { RotationStep } from './RotationStep';
import { sigFingerprint } from './sigFingerprint';
import type { DueReason, TargetResult } from './TargetResult';
import { describeFailure, TargetRotationError } from './TargetRotationError';

export interface RotationDependencies {
  readonly gateway: WorkflowGateway;
  readonly store: CallbackUrlStore;
  readonly telemetry: RotationTelemetry;
  readonly now: () => Date;
}

export type TargetMode = 'rotate' | 'dryRun' | 'revoke';

export interface RotateTargetOptions extends OperationOptions {
  readonly mode: TargetMode;
  /** Rotate even if not due (still alternating). */
  readonly force?: boolean;
  readonly invocationId: string;
}

/**
 * The rotation protocol for one target (DESIGN §3). Only the key that no published URL uses is
 * regenerated, and the secret write is the single publication step, so a failure or crash at any
 * step leaves the published URL working. Never throws: the outcome, failures included, is the result.
 */
export async function rotateTarget(
  target: RotationTarget,
  dependencies: RotationDependencies,
  options: RotateTargetOptions,
): Promise<TargetResult> {
  const { gateway, store, telemetry } = dependencies;
  const startedAt = performance.now();
  const io: OperationOptions = { abortSignal: options.abortSignal };
  let step: RotationStep = 'readSecret';
  let reason: DueReason = options.mode === 'revoke' ? 'revoke' : 'notDue';
  let keyType: KeyType | undefined;
  const base = { workflowId: target.workflowId, trigger: target.trigger, secretName: target.secretName };

  try {
    const now = dependencies.now();
    const secret = await store.readLatest(target.secretName, io);
    const state = readPublicationState(target, secret, now);

    if (options.mode === 'revoke') {
      keyType = state ? otherKey(state.keyType) : 'Secondary';
      const published = await regenerateAndPublish(keyType, 'revoke');
      step = 'regenerate';
      // The fresh URL is published first, so consumers always have one that works; only then is
      // the key of the previously published (possibly leaked) URL replaced as well.
      await regenerateVerified(otherKey(keyType));
      return finish({ ...published, action: 'revoked' });
    }

    step = 'listBefore';
    const plan = await planRotation(target, state, gateway, now, { ...io, force: options.force ?? false });
    reason = plan.reason;
    keyType = plan.keyType;

    if (plan.kind === 'none') {
      return finish({
        action: 'skipped',
        secretVersion: state?.secretVersion,
        oldSigFingerprint: undefined,
        newSigFingerprint: state ? sigFingerprint(state.callbackUrl.sig) : undefined,
      });
    }
    if (options.mode === 'dryRun') {
      return finish({ action: 'planned', secretVersion: undefined, oldSigFingerprint: undefined, newSigFingerprint: undefined });
    }
    if (plan.kind === 'republish') {
      step = 'verify';
      verifySignedPath(plan.currentUrl, plan.keyType);
      const oldSig = state?.callbackUrl.sig;
      return finish({ ...(await publish(plan.keyType, plan.currentUrl, oldSig)), action: 'rotated' });
    }
    return finish({ ...(await regenerateAndPublish(plan.keyType, plan.reason)), action: 'rotated' });
  } catch (thrown) {
    const failure = describeFailure(step, thrown);
    telemetry.trackTargetFailed({
      ...base,
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
      secretVersion: undefined,
      oldSigFingerprint: undefined,
      newSigFingerprint: undefined,
      error: failure,
    };
  }

  interface Publication {
    secretVersion: string;
    oldSigFingerprint: string | undefined;
    newSigFingerprint: string;
  }

  function finish(outcome: Pick<TargetResult, 'action' | 'secretVersion' | 'oldSigFingerprint' | 'newSigFingerprint'>): TargetResult {
    return { ...base, reason, keyType, ...outcome };
  }

  async function regenerateAndPublish(key: KeyType, why: DueReason): Promise<Publication> {
    reason = why;
    const { before, after } = await regenerateVerified(key);
    return publish(key, after, before.sig);
  }

  /** Steps 2–4: note the sig, regenerate, list again, and insist that sig changed. */
  async function regenerateVerified(key: KeyType): Promise<{ before: CallbackUrl; after: CallbackUrl }> {
    step = 'listBefore';
    const before = await currentCallbackUrl(target, key, gateway, io);
    step = 'regenerate';
    let regenerateError: unknown;
    try {
      await gateway.regenerateAccessKey(target, key, io);
    } catch (thrown) {
      if (options.abortSignal?.aborted) {
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
      throw regenerateError ?? thrown;
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
    verifySignedPath(after, key);
    return { before, after };
  }

  function verifySignedPath(url: CallbackUrl, key: KeyType): void {
    const expected = triggerSignedPath(target.trigger);
    if (url.signedPath.toLowerCase() !== expected.toLowerCase()) {
      throw new TargetRotationError({
        step: 'verify',
        code: 'UnexpectedSignedPath',
        message: `the ${key} callback URL of ${target.workflowId} is signed for '${url.signedPath}', not '${expected}'; nothing was published.`,
      });
    }
  }

  async function publish(key: KeyType, url: CallbackUrl, oldSig: string | undefined): Promise<Publication> {
    step = 'publish';
    const now = dependencies.now();
    const { version } = await store.publish(target.secretName, buildPublication(target, key, url, now), io);
    const oldSigFingerprint = oldSig === undefined ? undefined : sigFingerprint(oldSig);
    const newSigFingerprint = sigFingerprint(url.sig);
    telemetry.trackTargetRotated({
      ...base,
      keyType: key,
      secretVersion: version,
      oldSigFingerprint: oldSigFingerprint ?? '',
      newSigFingerprint,
      sigChanged: oldSig !== url.sig,
      reason,
      invocationId: options.invocationId,
      durationMs: elapsedMs(startedAt),
    });
    return { secretVersion: version, oldSigFingerprint, newSigFingerprint };
  }
}

function elapsedMs(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}
