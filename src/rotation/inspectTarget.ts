import { isTriggerUrl } from './CallbackUrl';
import { currentCallbackUrl } from './currentCallbackUrl';
import { isIntervalElapsed, nextDueAt } from './dueDates';
import { describeFailure, type RotationStep, type TargetFailure } from './failures';
import type { KeyType } from './KeyType';
import type { CallbackUrlStore, OperationOptions, WorkflowGateway } from './ports';
import { readTargetState } from './readTargetState';
import type { RotationTarget } from './RotationTarget';
import { sigFingerprint } from './sigFingerprint';
import type { DueReason } from './TargetResult';
import { hasSingleKey } from './WorkflowHost';

/**
 * One line of `sas-rotator status` (docs/design.md §7). Reads only: nothing is regenerated or written.
 * `undefined` means unknown: never published, or the target could not be read (then `error` says why).
 * The CLI's JSON report writes each unknown as null.
 */
export interface TargetStatus {
  readonly workflowId: string;
  readonly trigger: string;
  readonly secretName: string;
  readonly keyType: KeyType | undefined;
  readonly rotatedAt: string | undefined;
  readonly expiresOn: string | undefined;
  readonly nextDueAt: string | undefined;
  readonly sigFingerprint: string | undefined;
  readonly due: boolean | undefined;
  readonly reason: DueReason | undefined;
  /** Whether the published URL is still the current URL of its key, i.e. callers can use it. */
  readonly urlWorks: boolean | undefined;
  readonly error?: TargetFailure;
}

export async function inspectTarget(
  target: RotationTarget,
  dependencies: { readonly gateway: WorkflowGateway; readonly store: CallbackUrlStore; readonly now: () => Date },
  options: OperationOptions = {},
): Promise<TargetStatus> {
  const unknown: TargetStatus = {
    workflowId: target.workflowId,
    trigger: target.trigger,
    secretName: target.secretName,
    keyType: undefined,
    rotatedAt: undefined,
    expiresOn: undefined,
    nextDueAt: undefined,
    sigFingerprint: undefined,
    due: undefined,
    reason: undefined,
    urlWorks: undefined,
  };
  let step: RotationStep = 'readSecret';
  try {
    const now = dependencies.now();
    const state = await readTargetState(target, dependencies.store, now, options);
    if (!state || state.kind === 'adopted') {
      return { ...unknown, due: true, reason: 'first' };
    }
    step = 'listBefore';
    const current = await currentCallbackUrl(target, state.keyType, dependencies.gateway, options);
    const urlWorks = current.sig === state.callbackUrl.sig;
    const intervalElapsed = isIntervalElapsed(state.rotatedAt, target.intervalDays, now);
    const needsRepair = !urlWorks || !isTriggerUrl(state.callbackUrl, target.trigger);
    return {
      ...unknown,
      keyType: state.keyType,
      rotatedAt: state.rotatedAt.toISOString(),
      expiresOn: state.expiresOn?.toISOString(),
      nextDueAt: nextDueAt(state.rotatedAt, target.intervalDays).toISOString(),
      sigFingerprint: sigFingerprint(state.callbackUrl.sig),
      due: intervalElapsed || needsRepair,
      // As planRotation decides: a single-key host repairs a dead URL before any new hard cut.
      reason:
        needsRepair && (hasSingleKey(target.host) || !intervalElapsed)
          ? 'repair'
          : intervalElapsed
            ? 'interval'
            : needsRepair
              ? 'repair'
              : 'notDue',
      urlWorks,
    };
  } catch (thrown) {
    return { ...unknown, error: describeFailure(step, thrown) };
  }
}
