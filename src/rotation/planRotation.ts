import { parseCallbackUrl, type CallbackUrl } from './CallbackUrl';
import { otherKey, type KeyType } from './KeyType';
import type { OperationOptions, WorkflowGateway } from './ports';
import { isIntervalElapsed, type PublicationState } from './publicationState';
import type { RotationTarget } from './RotationTarget';
import type { DueReason } from './TargetResult';
import { TargetRotationError } from './TargetRotationError';

/** What a run will do with a target, decided before any key is touched. */
export type RotationPlan =
  /** Regenerate the key nobody uses, then publish its fresh URL. */
  | { readonly kind: 'regenerate'; readonly reason: 'first' | 'interval' | 'forced'; readonly keyType: KeyType }
  /**
   * The published URL no longer works (its key was regenerated outside sas-rotator). Republish the
   * current URL of the same key: consumers get a working URL and no other key is touched, so
   * consumers still on the previous version (the other key) keep working.
   */
  | { readonly kind: 'republish'; readonly reason: 'repair'; readonly keyType: KeyType; readonly currentUrl: CallbackUrl }
  | { readonly kind: 'none'; readonly reason: 'notDue'; readonly keyType: KeyType };

export interface PlanOptions extends OperationOptions {
  readonly force?: boolean;
}

/**
 * DESIGN §2–4: first rotation regenerates Secondary (portal URLs use Primary); afterwards the key
 * to regenerate is always the one the published URL does not use. A target is due when it has no
 * secret, when its interval elapsed, or when the published URL stopped working (repair).
 */
export async function planRotation(
  target: RotationTarget,
  state: PublicationState | undefined,
  gateway: WorkflowGateway,
  now: Date,
  options: PlanOptions = {},
): Promise<RotationPlan> {
  if (!state) {
    return { kind: 'regenerate', reason: 'first', keyType: 'Secondary' };
  }
  const keyToRegenerate = otherKey(state.keyType);
  if (options.force) {
    return { kind: 'regenerate', reason: 'forced', keyType: keyToRegenerate };
  }
  if (isIntervalElapsed(state, target.intervalDays, now)) {
    return { kind: 'regenerate', reason: 'interval', keyType: keyToRegenerate };
  }
  const currentUrl = await currentCallbackUrl(target, state.keyType, gateway, options);
  if (currentUrl.sig !== state.callbackUrl.sig) {
    return { kind: 'republish', reason: 'repair', keyType: state.keyType, currentUrl };
  }
  return { kind: 'none', reason: 'notDue', keyType: state.keyType };
}

/** Lists the trigger's URL for `keyType` and refuses anything that is not a signed trigger URL. */
export async function currentCallbackUrl(
  target: RotationTarget,
  keyType: KeyType,
  gateway: WorkflowGateway,
  options: OperationOptions,
): Promise<CallbackUrl> {
  const listed = parseCallbackUrl(await gateway.listCallbackUrl(target, keyType, options));
  if (!listed) {
    throw new TargetRotationError({
      step: 'verify',
      code: 'UnsignedCallbackUrl',
      message: `listCallbackUrl for trigger '${target.trigger}' of ${target.workflowId} (${keyType} key) returned a URL without sig/sp; the trigger may be restricted to OAuth callers.`,
    });
  }
  return listed;
}

export type { DueReason };
