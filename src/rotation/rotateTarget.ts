import { isTriggerUrl, triggerSignedPath, type CallbackUrl } from './CallbackUrl';
import { currentCallbackUrl } from './currentCallbackUrl';
import { describeFailure, TargetRotationError, type RotationStep, type TargetFailure } from './failures';
import {
  keepDependentsAt,
  readDependents,
  requireNoDependentHolds,
  type DependentReadings,
  type KeepDependentsContext,
} from './keepDependents';
import { otherKey, type KeyType } from './KeyType';
import { planRotation, type KeyInUsePolicy } from './planRotation';
import type {
  CallbackUrlPublication,
  CallbackUrlStore,
  DependentGateway,
  OperationOptions,
  RotationTelemetry,
  TargetLeaseHandle,
  TargetLeases,
  WorkflowGateway,
} from './ports';
import { buildPublication } from './publication';
import { readTargetState } from './readTargetState';
import { requireDistinctKeyUrls } from './requireDistinctKeyUrls';
import type { RotationTarget } from './RotationTarget';
import { sigFingerprint } from './sigFingerprint';
import { sleep } from './sleep';
import { untouchedResult, type DueReason, type TargetResult } from './TargetResult';
import { hasSingleKey } from './WorkflowHost';

export interface RotationDependencies {
  readonly gateway: WorkflowGateway;
  readonly store: CallbackUrlStore;
  readonly telemetry: RotationTelemetry;
  readonly now: () => Date;
  /** Single writer per target; undefined only where no shared storage exists (the CLI warns). */
  readonly leases?: TargetLeases;
  /** The management APIs of the targets' dependents (docs/design.md §12); needed only by targets that list some. */
  readonly dependents?: DependentGateway;
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
 * Once regenerateAccessKey is sent to a single-key host (Power Automate), the published URL is
 * dead until the fresh one is published. From that moment the regenerate, list-after and publish
 * calls share this budget instead of the run's deadline or the target's lease: cancelling them
 * would only leave consumers without a working URL. It fits in the timer's 60 s deadline margin.
 */
export const hardCutFinishBudgetMs = 30_000;
/** Publish attempts within that budget (on top of the client's own retries for 429/5xx): a 403 gets two more chances. */
export const hardCutPublishAttempts = 3;
const hardCutPublishRetryDelayMs = 500;

/**
 * The rotation protocol for one target (docs/design.md §3). Only a key that no published URL uses is
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
  let reason: DueReason | undefined = options.mode === 'revoke' ? 'revoke' : undefined;
  let keyType: KeyType | undefined;
  /** What was already published when a later step failed (a revoke's second key). */
  let published: Publication | undefined;
  /** Whether the secret holds a URL consumers may be using: then no missing trigger is a mere skip. */
  let hasPublication = false;
  /**
   * Set when regenerateAccessKey was sent to a single-key host: the remaining calls run on the hard
   * cut's own budget, and `keyChanged` (unknown until listed again) says whether the published URL died.
   */
  let hardCut: { io: OperationOptions; keyChanged: boolean | undefined } | undefined;
  /** What each dependent holds before a regeneration (the gate's input), then what this run did to each. */
  let dependentReadings: DependentReadings | undefined;
  const withDependents = (target.dependents?.length ?? 0) > 0;
  /** Whether the secret holds a URL sas-rotator published (not an adopted one): dependents can be moved to it. */
  let hasOwnPublication = false;

  try {
    const now = dependencies.now();
    const state = await readTargetState(target, store, now, io);
    hasPublication = state !== undefined;
    hasOwnPublication = state?.kind === 'published';

    if (options.mode === 'revoke') {
      if (hasSingleKey(target.host)) {
        keyType = 'Primary';
        const { after, before } = await regenerateVerified(keyType, undefined, 'hardCut');
        const revoked = await publish(keyType, after, before.sig);
        return { ...base, reason, keyType, action: 'revoked', ...revoked, ...(await dependentsAfterPublishing(after)) };
      }
      keyType = state?.kind === 'published' ? otherKey(state.keyType) : 'Secondary';
      // The first key's fresh URL is published on the strength of its sig having changed: that means
      // something only on a host that lists each key its own URL.
      const { after, before } = await regenerateVerified(keyType, undefined, 'refuse', true);
      published = await publish(keyType, after, before.sig);
      // The fresh URL is published first, so consumers always have one that works; only then is
      // the key of the previously published (possibly leaked) URL replaced as well.
      // The dependents are brought to the fresh URL too (no gate: a revoke replaces both keys on purpose).
      const kept = await dependentsAfterPublishing(after);
      await regenerateVerified(otherKey(keyType));
      return { ...base, reason, keyType, action: 'revoked', ...published, ...kept };
    }

    step = 'listBefore';
    const plan = await planRotation(target, state, gateway, now, { ...io, force: options.force ?? false });
    reason = plan.reason;
    keyType = plan.keyType;
    if (withDependents && plan.kind !== 'republish') {
      // Dependents left behind by an earlier run are brought to the latest URL first (docs/design.md §12);
      // what they hold afterwards is what the gate checks before a regeneration. A repair publishes
      // the current URL and updates them after that: the latest URL is dead.
      step = 'dependents';
      const latest = state?.kind === 'published' && options.mode !== 'dryRun' ? state.callbackUrl : undefined;
      const published = state?.kind === 'published' ? state : undefined;
      dependentReadings = latest
        ? await keepDependentsAt(latest, {
            ...dependentsContext(),
            // Only a URL that still works is written over what a dependent holds: a published URL whose key
            // was regenerated by hand is replaced by this run's publication, and the dependents with it.
            confirmWorks: async () =>
              published !== undefined && (await currentCallbackUrl(target, published.keyType, gateway, io)).sig === latest.sig,
          })
        : await readDependents(dependentsContext());
    }

    switch (plan.kind) {
      case 'none':
        return {
          ...base,
          reason,
          keyType,
          action: 'skipped',
          secretVersion: state?.kind === 'published' ? state.secretVersion : undefined,
          oldSigFingerprint: undefined,
          newSigFingerprint: undefined,
          ...(dependentReadings ? { dependents: dependentReadings.results } : {}),
        };
      case 'republish': {
        if (options.mode === 'dryRun') {
          return planned();
        }
        if (!hasSingleKey(target.host)) {
          // The dead published URL identifies no key, yet the next rotation trusts the keyType tag
          // written now: make sure the listing really was of that key.
          step = 'listBefore';
          const otherUrl = await currentCallbackUrl(target, otherKey(plan.keyType), gateway, io);
          requireDistinctKeyUrls(target, [plan.currentUrl, otherUrl], 'republish');
        }
        step = 'verify';
        verifyTriggerUrl(plan.currentUrl, plan.keyType);
        const oldSig = state?.kind === 'published' ? state.callbackUrl.sig : undefined;
        const repaired = await publish(plan.keyType, plan.currentUrl, oldSig);
        return { ...base, reason, keyType, action: 'rotated', ...repaired, ...(await dependentsAfterPublishing(plan.currentUrl)) };
      }
      case 'regenerate': {
        if (options.mode === 'dryRun') {
          if (dependentReadings && !hasSingleKey(target.host)) {
            // A dry run predicts the gate too (reads only): the key's current URL against what the dependents hold.
            step = 'listBefore';
            const before = await currentCallbackUrl(target, plan.keyType, gateway, io);
            keyType = (await passGate(plan.keyType, before, plan.urlInUse)).key;
          }
          return planned();
        }
        const { key, before, after } = await regenerateVerified(plan.keyType, plan.urlInUse, plan.ifKeyInUse, plan.checkKeyTypeHonoured);
        keyType = key;
        const rotated = await publish(key, after, before.sig);
        return { ...base, reason, keyType, action: 'rotated', ...rotated, ...(await dependentsAfterPublishing(after)) };
      }
    }
  } catch (thrown) {
    let failure = describeFailure(step, thrown);
    const skipped = skipInsteadOfFailing(target, failure, step, hasPublication);
    if (skipped) {
      return {
        ...base,
        action: 'skipped',
        reason,
        keyType,
        secretVersion: undefined,
        oldSigFingerprint: undefined,
        newSigFingerprint: undefined,
        skipped,
      };
    }
    if (isMissingSiteTrigger(target, failure)) {
      failure = publishedTriggerGone(target, failure);
    }
    if (hardCut && hardCut.keyChanged !== false && published === undefined) {
      failure = hardCutNotPublished(target, failure, hardCut.keyChanged);
    }
    // A dry run changes nothing and records nothing: its failures are reported to the operator only.
    if (options.mode !== 'dryRun')
      telemetry.trackTargetFailed({
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
      ...(dependentReadings ? { dependents: dependentReadings.results } : {}),
    };
  }

  function planned(): TargetResult {
    return {
      ...base,
      reason,
      keyType,
      action: 'planned',
      secretVersion: undefined,
      oldSigFingerprint: undefined,
      newSigFingerprint: undefined,
      // Every dependent that holds a URL would be brought to the new one after publishing.
      ...(dependentReadings
        ? {
            dependents: dependentReadings.results.map((result) =>
              result.outcome === 'current' ? { ...result, outcome: 'planned' as const } : result,
            ),
          }
        : {}),
    };
  }

  /**
   * The gate (docs/design.md §12): a dependent that still holds `key`'s URL, or could not be read, would
   * be cut off. Before anything of ours is published (a first rotation, an adoption) there is no URL to
   * move the dependents to, so the other key is regenerated instead when no dependent (and not the
   * adopted URL) holds it. A single-key host cuts every holder off by design (the hard cut), and a
   * revoke replaces the leaked key whoever holds it.
   */
  async function passGate(
    key: KeyType,
    before: CallbackUrl,
    urlInUse: CallbackUrl | undefined,
  ): Promise<{ key: KeyType; before: CallbackUrl }> {
    const readings = dependentReadings;
    if (!readings || hasSingleKey(target.host) || options.mode === 'revoke') return { key, before };
    const held = (sig: string): boolean => [...readings.heldSigs.values()].some((sigs) => sigs?.includes(sig));
    if (!hasOwnPublication && held(before.sig)) {
      const other = await currentCallbackUrl(target, otherKey(key), gateway, io);
      if (!held(other.sig) && other.sig !== urlInUse?.sig) {
        requireNoDependentHolds(otherKey(key), other.sig, readings, target, hasOwnPublication);
        return { key: otherKey(key), before: other };
      }
    }
    requireNoDependentHolds(key, before.sig, readings, target, hasOwnPublication);
    return { key, before };
  }

  function dependentsContext(): KeepDependentsContext {
    if (!dependencies.dependents) {
      throw new TargetRotationError({
        step: 'dependents',
        code: 'ConfigurationError',
        message: `${target.workflowId} lists dependents, but this process has no dependent gateway.`,
      });
    }
    return {
      target,
      gateway: dependencies.dependents,
      telemetry,
      vaultUrl: store.vaultUrl,
      invocationId: options.invocationId,
      dryRun: options.mode === 'dryRun',
      // After a hard cut the dependents are part of finishing it: its own budget, not the run's deadline.
      io: hardCut?.io ?? io,
    };
  }

  /** After a publication: every dependent brought to the URL just published; failures are recorded, not thrown. */
  async function dependentsAfterPublishing(url: CallbackUrl): Promise<Pick<TargetResult, 'dependents'>> {
    if (!withDependents) return {};
    step = 'dependents';
    dependentReadings = await keepDependentsAt(url, dependentsContext());
    return { dependents: dependentReadings.results };
  }

  /**
   * Steps 2–4: note the sig, regenerate, list again, and insist that sig changed. Refuses to
   * regenerate the key that signs `urlInUse`, whatever the tags claim. With `checkKeyTypeHonoured`,
   * first makes sure the host lists each key's own URL (one more listing at most).
   */
  async function regenerateVerified(
    requestedKey: KeyType,
    urlInUse?: CallbackUrl,
    ifKeyInUse: KeyInUsePolicy = 'refuse',
    checkKeyTypeHonoured = false,
  ): Promise<{ key: KeyType; before: CallbackUrl; after: CallbackUrl }> {
    let key = requestedKey;
    step = 'listBefore';
    let before = await currentCallbackUrl(target, key, gateway, io);
    /** The other key's URL, once listed. */
    let otherUrl: CallbackUrl | undefined;
    if (urlInUse && before.sig === urlInUse.sig && ifKeyInUse !== 'hardCut') {
      if (ifKeyInUse === 'refuse') {
        // A host that ignored keyType answers the published URL for either key: then the tag is not
        // wrong, and "fix the tag" would only send the operator back and forth. One listing tells,
        // and only on this failure path.
        otherUrl = await currentCallbackUrl(target, otherKey(key), gateway, io);
        requireDistinctKeyUrls(target, [before, otherUrl], 'keyInUse');
        throw new TargetRotationError({
          step: 'listBefore',
          code: 'KeyInUse',
          message: `the published URL in secret '${target.secretName}' is signed with the ${key} key although its keyType tag says ${otherKey(key)}; regenerating ${key} would break it, so nothing was regenerated. Fix: set the latest version's keyType tag to ${key} and keep its other tags ('az keyvault secret set-attributes --tags' replaces every tag: pass all six, see docs/operations.md, "KeyInUse").`,
        });
      }
      otherUrl = before;
      key = otherKey(key);
      before = await currentCallbackUrl(target, key, gateway, io);
    }
    if (checkKeyTypeHonoured) {
      otherUrl ??= await currentCallbackUrl(target, otherKey(key), gateway, io);
      requireDistinctKeyUrls(target, [before, otherUrl], 'regenerate');
    }
    if (ifKeyInUse !== 'hardCut') {
      ({ key, before } = await passGate(key, before, urlInUse));
    }
    let callIo = io;
    if (hasSingleKey(target.host)) {
      // The last moment the run's deadline or a lost lease may stop a hard cut: nothing is touched yet.
      io.abortSignal?.throwIfAborted();
      hardCut = { io: { abortSignal: AbortSignal.timeout(hardCutFinishBudgetMs) }, keyChanged: undefined };
      callIo = hardCut.io;
    }
    step = 'regenerate';
    let regenerateError: unknown;
    try {
      await gateway.regenerateAccessKey(target, key, callIo);
    } catch (thrown) {
      if (callIo.abortSignal?.aborted) {
        throw thrown;
      }
      // The seed's troubleshooting: a call that reports failure may still have replaced the key.
      // The sig decides, not the answer.
      regenerateError = thrown;
    }
    let after: CallbackUrl;
    try {
      step = 'listAfter';
      after = await currentCallbackUrl(target, key, gateway, callIo);
    } catch (thrown) {
      if (regenerateError !== undefined) {
        step = 'regenerate';
        throw regenerateError;
      }
      throw thrown;
    }
    if (hardCut) {
      hardCut.keyChanged = after.sig !== before.sig;
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
    if (!isTriggerUrl(url, target.trigger)) {
      throw new TargetRotationError({
        step: 'verify',
        code: 'UnexpectedSignedPath',
        message: `the ${key} callback URL of ${target.workflowId} is signed for '${url.signedPath}', not '${triggerSignedPath(target.trigger)}'; nothing was published.`,
      });
    }
  }

  async function publish(key: KeyType, url: CallbackUrl, oldSig: string | undefined): Promise<Publication> {
    step = 'publish';
    const { version } = await writeSecret(buildPublication(target, key, url, dependencies.now()));
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

  /** The one publication; after a hard cut it is retried within the hard cut's budget. */
  async function writeSecret(publication: CallbackUrlPublication): Promise<{ version: string }> {
    if (!hardCut) {
      return store.publish(target.secretName, publication, io);
    }
    const finishIo = hardCut.io;
    for (let attempt = 1; ; attempt++) {
      try {
        return await store.publish(target.secretName, publication, finishIo);
      } catch (thrown) {
        if (attempt >= hardCutPublishAttempts || finishIo.abortSignal?.aborted) {
          throw thrown;
        }
        await sleep(hardCutPublishRetryDelayMs * attempt, finishIo.abortSignal).catch(() => {
          throw thrown;
        });
      }
    }
  }
}

/**
 * Situations that are not failures of the target: a trigger restricted to OAuth callers has no SAS
 * to rotate, and a workflow found through a tagged Standard site may simply have no Request trigger
 * — but only if nothing was ever published for it. Once a URL was published, consumers hold it, and
 * a trigger that disappeared (renamed, say) left them a dead URL: that is a failure to alert on.
 */
function skipInsteadOfFailing(
  target: RotationTarget,
  failure: TargetFailure,
  protocolStep: RotationStep,
  hasPublication: boolean,
): TargetResult['skipped'] {
  // Only before anything was regenerated: a URL without sig after a regeneration is a failure.
  if (failure.code === 'UnsignedCallbackUrl' && protocolStep === 'listBefore') {
    return {
      code: 'NoSharedAccessSignature',
      message: "The trigger's callback URL carries no sig (it accepts OAuth callers only): there is no SAS key to rotate.",
    };
  }
  if (isMissingSiteTrigger(target, failure) && !hasPublication) {
    return { code: 'NoRequestTrigger', message: `Workflow of a tagged Standard site without a Request trigger named '${target.trigger}'.` };
  }
  return undefined;
}

function isMissingSiteTrigger(target: RotationTarget, failure: TargetFailure): boolean {
  return (
    target.discoveredFromSite === true &&
    failure.step === 'listBefore' &&
    (failure.code === 'ApiNotSupported' || failure.statusCode === 404)
  );
}

/** The failure of a published target whose trigger is gone, saying what it means for consumers. */
function publishedTriggerGone<F extends TargetFailure>(target: RotationTarget, failure: F): F {
  return {
    ...failure,
    message:
      `${failure.message} Secret '${target.secretName}' holds a URL published for trigger '${target.trigger}', which this workflow no longer has as a Request trigger (renamed or removed): its consumers now hold a dead URL. ` +
      `Fix: restore the trigger's name, or list the workflow in ROTATION_TARGETS with its new trigger name and a new secretName, and move the consumers to that secret.`,
  };
}

/**
 * A hard cut that could not be finished: the only key changed (or may have), so the published URL
 * is dead and consumers fail until a fresh one is published. The next run repairs it first
 * (planRotation republishes the current URL without regenerating); the operator need not wait.
 */
function hardCutNotPublished(target: RotationTarget, failure: TargetFailure, keyChanged: boolean | undefined): TargetFailure {
  const dead = keyChanged ? 'is now dead' : 'is now dead if the regeneration took effect (its answer was lost)';
  return {
    ...failure,
    code: 'HardCutNotPublished',
    message:
      `Hard cut not finished: ${target.workflowId} has a single key and regenerateAccessKey was sent, so the URL published in secret '${target.secretName}' ${dead}, ` +
      `and no fresh URL was published (${failure.step}: ${failure.code ?? failure.statusCode ?? 'error'}: ${failure.message}). Consumers fail until one is. ` +
      `Fix: remove the cause, then run \`sas-rotator rotate --only ${target.workflowId}\`: it republishes the flow's current URL without regenerating (repair); the next scheduled run does the same.`,
  };
}

function elapsedMs(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}
