import type { KeyType } from './KeyType';
import type { CallbackUrlStore, OperationOptions, WorkflowGateway } from './ports';
import { currentCallbackUrl } from './planRotation';
import { isIntervalElapsed, nextDueAt, readPublicationState } from './publicationState';
import type { RotationStep } from './RotationStep';
import type { RotationTarget } from './RotationTarget';
import { sigFingerprint } from './sigFingerprint';
import type { DueReason } from './TargetResult';
import { describeFailure, type TargetFailure } from './TargetRotationError';

/** One line of `sas-rotator status` (DESIGN §7). Reads only: nothing is regenerated or written. */
export interface TargetStatus {
  readonly workflowId: string;
  readonly trigger: string;
  readonly secretName: string;
  readonly keyType: KeyType | undefined;
  readonly rotatedAt: string | undefined;
  readonly expiresOn: string | undefined;
  readonly nextDueAt: string | undefined;
  readonly sigFingerprint: string | undefined;
  readonly due: boolean;
  readonly reason: DueReason;
  /** Whether the published URL is still the current URL of its key, i.e. callers can use it. */
  readonly urlWorks: boolean | undefined;
  readonly error?: TargetFailure;
}

export async function inspectTarget(
  target: RotationTarget,
  dependencies: { readonly gateway: WorkflowGateway; readonly store: CallbackUrlStore; readonly now: () => Date },
  options: OperationOptions = {},
): Promise<TargetStatus> {
  const base = { workflowId: target.workflowId, trigger: target.trigger, secretName: target.secretName };
  let step: RotationStep = 'readSecret';
  try {
    const now = dependencies.now();
    const state = readPublicationState(target, await dependencies.store.readLatest(target.secretName, options), now);
    if (!state) {
      return { ...unpublished(base), due: true, reason: 'first' };
    }
    step = 'listBefore';
    const current = await currentCallbackUrl(target, state.keyType, dependencies.gateway, options);
    const urlWorks = current.sig === state.callbackUrl.sig;
    const intervalElapsed = isIntervalElapsed(state, target.intervalDays, now);
    return {
      ...base,
      keyType: state.keyType,
      rotatedAt: state.rotatedAt.toISOString(),
      expiresOn: state.expiresOn?.toISOString(),
      nextDueAt: nextDueAt(state, target.intervalDays).toISOString(),
      sigFingerprint: sigFingerprint(state.callbackUrl.sig),
      due: intervalElapsed || !urlWorks,
      reason: intervalElapsed ? 'interval' : urlWorks ? 'notDue' : 'repair',
      urlWorks,
    };
  } catch (thrown) {
    return { ...unpublished(base), due: false, reason: 'notDue', error: describeFailure(step, thrown) };
  }
}

/** A status with nothing known about a publication (none yet, or unreadable). */
function unpublished(base: Pick<TargetStatus, 'workflowId' | 'trigger' | 'secretName'>): Omit<TargetStatus, 'due' | 'reason'> {
  return {
    ...base,
    keyType: undefined,
    rotatedAt: undefined,
    expiresOn: undefined,
    nextDueAt: undefined,
    sigFingerprint: undefined,
    urlWorks: undefined,
  };
}
