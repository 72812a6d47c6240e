import { currentCallbackUrl } from './currentCallbackUrl';
import { describeFailure } from './describeFailure';
import { isIntervalElapsed, nextDueAt } from './dueDates';
import type { KeyType } from './KeyType';
import { isTriggerUrl } from './planRotation';
import type { CallbackUrlStore, OperationOptions, WorkflowGateway } from './ports';
import { readTargetState } from './readTargetState';
import type { RotationStep } from './RotationStep';
import type { RotationTarget } from './RotationTarget';
import { sigFingerprint } from './sigFingerprint';
import type { TargetFailure } from './TargetFailure';
import type { DueReason } from './TargetResult';
import { hasSingleKey } from './WorkflowHost';

/**
 * One line of `sas-rotator status` (docs/design.md §7). Reads only: nothing is regenerated or written.
 * `null` means unknown: never published, or the target could not be read (then `error` says why).
 */
export interface TargetStatus {
  readonly workflowId: string;
  readonly trigger: string;
  readonly secretName: string;
  readonly keyType: KeyType | null;
  readonly rotatedAt: string | null;
  readonly expiresOn: string | null;
  readonly nextDueAt: string | null;
  readonly sigFingerprint: string | null;
  readonly due: boolean | null;
  readonly reason: DueReason | null;
  /** Whether the published URL is still the current URL of its key, i.e. callers can use it. */
  readonly urlWorks: boolean | null;
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
    keyType: null,
    rotatedAt: null,
    expiresOn: null,
    nextDueAt: null,
    sigFingerprint: null,
    due: null,
    reason: null,
    urlWorks: null,
  };
  let step: RotationStep = 'readSecret';
  try {
    const now = dependencies.now();
    const state = await readTargetState(target, dependencies.store, now, options);
    if (!state || 'adopted' in state) {
      return { ...unknown, due: true, reason: 'first' };
    }
    step = 'listBefore';
    const current = await currentCallbackUrl(target, state.keyType, dependencies.gateway, options);
    const urlWorks = current.sig === state.callbackUrl.sig;
    const intervalElapsed = isIntervalElapsed(state, target.intervalDays, now);
    const needsRepair = !urlWorks || !isTriggerUrl(state.callbackUrl, target);
    return {
      ...unknown,
      keyType: state.keyType,
      rotatedAt: state.rotatedAt.toISOString(),
      expiresOn: state.expiresOn?.toISOString() ?? null,
      nextDueAt: nextDueAt(state, target.intervalDays).toISOString(),
      sigFingerprint: sigFingerprint(state.callbackUrl.sig),
      due: intervalElapsed || needsRepair,
      // As planRotation decides: a single-key host repairs a dead URL before any new hard cut.
      reason: needsRepair && (hasSingleKey(target.host) || !intervalElapsed) ? 'repair' : intervalElapsed ? 'interval' : needsRepair ? 'repair' : 'notDue',
      urlWorks,
    };
  } catch (thrown) {
    return { ...unknown, error: describeFailure(step, thrown) };
  }
}
