import { isTriggerUrl, triggerSignedPath, type CallbackUrl } from './CallbackUrl';
import { currentCallbackUrl } from './currentCallbackUrl';
import { isIntervalElapsed } from './dueDates';
import { TargetRotationError } from './failures';
import { otherKey, type KeyType } from './KeyType';
import type { OperationOptions, WorkflowGateway } from './ports';
import type { SecretState } from './publication';
import type { RotationTarget } from './RotationTarget';
import { hasSingleKey } from './WorkflowHost';

/** What a run will do with a target, decided before any key is touched. */
export type RotationPlan =
  /** Regenerate the key nobody uses, then publish its fresh URL. */
  | {
      readonly kind: 'regenerate';
      readonly reason: 'first' | 'interval' | 'forced';
      readonly keyType: KeyType;
      /** The URL consumers hold now; its key must survive this rotation. */
      readonly urlInUse: CallbackUrl | undefined;
      /**
       * What to do if `keyType` turns out to sign `urlInUse`: for our own secret the tags lie, so
       * stop and say so; for an adopted secret we never knew the key, so regenerate the other one;
       * a single-key host (Power Automate) always regenerates the key in use: a hard cut.
       */
      readonly ifKeyInUse: KeyInUsePolicy;
      /**
       * Whether to check, before regenerating, that the two keys' URLs differ (requireDistinctKeyUrls).
       * Only where no published URL identifies a key: a first rotation or an adoption on a two-key host.
       * On an interval or forced rotation the published URL does: a host that ignored keyType would
       * answer it for the key to regenerate, and the in-use guard refuses; so no extra ARM call there.
       */
      readonly checkKeyTypeHonoured: boolean;
    }
  /**
   * The published URL no longer works or is not the unversioned trigger URL (its key was
   * regenerated outside sas-rotator, or the workflow changed). Republish the current URL of the
   * same key: consumers get a working URL and no key is touched, so consumers still on the
   * previous version (the other key) keep working.
   */
  | { readonly kind: 'republish'; readonly reason: 'repair'; readonly keyType: KeyType; readonly currentUrl: CallbackUrl }
  | { readonly kind: 'none'; readonly reason: 'notDue'; readonly keyType: KeyType };

export type KeyInUsePolicy = 'refuse' | 'regenerateOtherKey' | 'hardCut';

export interface PlanOptions extends OperationOptions {
  readonly force?: boolean;
}

/**
 * docs/design.md §2–3: first rotation regenerates Secondary (portal URLs use Primary); afterwards the key
 * to regenerate is always the one the published URL does not use. A target is due when it has no
 * secret, when its interval elapsed, or when the published URL stopped working (repair).
 */
export async function planRotation(
  target: RotationTarget,
  state: SecretState | undefined,
  gateway: WorkflowGateway,
  now: Date,
  options: PlanOptions = {},
): Promise<RotationPlan> {
  const singleKey = hasSingleKey(target.host);
  if (!state) {
    return singleKey
      ? { kind: 'regenerate', reason: 'first', keyType: 'Primary', urlInUse: undefined, ifKeyInUse: 'hardCut', checkKeyTypeHonoured: false }
      : {
          kind: 'regenerate',
          reason: 'first',
          keyType: 'Secondary',
          urlInUse: undefined,
          ifKeyInUse: 'refuse',
          checkKeyTypeHonoured: true,
        };
  }
  if (state.kind === 'adopted' && state.callbackUrl && !isTriggerUrl(state.callbackUrl, target.trigger)) {
    // Its key cannot be identified from the trigger's URLs, so neither key is known to be free.
    throw new TargetRotationError({
      step: 'readSecret',
      code: 'UnusableSecret',
      message: `Secret '${target.secretName}' to adopt holds a URL signed for '${state.callbackUrl.signedPath}', not '${triggerSignedPath(target.trigger)}': sas-rotator cannot tell which key it uses, so nothing was regenerated. Fix: store the trigger's unversioned callback URL in the secret first, or adopt another secret.`,
    });
  }
  if (state.kind === 'adopted') {
    return singleKey
      ? {
          kind: 'regenerate',
          reason: 'first',
          keyType: 'Primary',
          urlInUse: state.callbackUrl,
          ifKeyInUse: 'hardCut',
          checkKeyTypeHonoured: false,
        }
      : {
          kind: 'regenerate',
          reason: 'first',
          keyType: 'Secondary',
          urlInUse: state.callbackUrl,
          ifKeyInUse: 'regenerateOtherKey',
          checkKeyTypeHonoured: true,
        };
  }
  const keyToRegenerate = singleKey ? 'Primary' : otherKey(state.keyType);
  const intervalElapsed = isIntervalElapsed(state.rotatedAt, target.intervalDays, now);
  if (singleKey && !options.force) {
    // One key: a dead published URL (a hard cut whose publish failed, or a key regenerated
    // elsewhere) is republished first, whether or not the interval elapsed. A fresh hard cut would
    // kill the flow's current URL too, for nothing: its key is already newer than the published one.
    const currentUrl = await currentCallbackUrl(target, state.keyType, gateway, options);
    if (currentUrl.sig !== state.callbackUrl.sig || !isTriggerUrl(state.callbackUrl, target.trigger)) {
      return { kind: 'republish', reason: 'repair', keyType: state.keyType, currentUrl };
    }
    return intervalElapsed
      ? {
          kind: 'regenerate',
          reason: 'interval',
          keyType: keyToRegenerate,
          urlInUse: state.callbackUrl,
          ifKeyInUse: 'hardCut',
          checkKeyTypeHonoured: false,
        }
      : { kind: 'none', reason: 'notDue', keyType: state.keyType };
  }
  if (options.force || intervalElapsed) {
    return {
      kind: 'regenerate',
      reason: options.force ? 'forced' : 'interval',
      keyType: keyToRegenerate,
      urlInUse: state.callbackUrl,
      ifKeyInUse: singleKey ? 'hardCut' : 'refuse',
      checkKeyTypeHonoured: false,
    };
  }
  const currentUrl = await currentCallbackUrl(target, state.keyType, gateway, options);
  if (currentUrl.sig !== state.callbackUrl.sig || !isTriggerUrl(state.callbackUrl, target.trigger)) {
    return { kind: 'republish', reason: 'repair', keyType: state.keyType, currentUrl };
  }
  return { kind: 'none', reason: 'notDue', keyType: state.keyType };
}
