import type { TargetFailure } from './failures';
import type { KeyType } from './KeyType';
import type { DependentResult } from './keepDependents';

/** Why a target was (or was not) acted on. */
export type DueReason = 'first' | 'interval' | 'repair' | 'forced' | 'revoke' | 'notDue';

/** What happened to a target in a run: `rotated`, `skipped`, `failed`, `planned` (dry run) or `revoked`. */
export type TargetAction = 'rotated' | 'skipped' | 'failed' | 'planned' | 'revoked';

/** One line of a run's report (the CLI's `--json` `targets[]`, docs/design.md §7). Holds no secret. */
export interface TargetResult {
  readonly workflowId: string;
  readonly trigger: string;
  readonly secretName: string;
  readonly action: TargetAction;
  /** Undefined when the run never got far enough to decide (it failed reading the secret, or never started). */
  readonly reason: DueReason | undefined;
  /** The key regenerated (rotation) or whose URL was republished (repair). */
  readonly keyType: KeyType | undefined;
  readonly secretVersion: string | undefined;
  readonly oldSigFingerprint: string | undefined;
  readonly newSigFingerprint: string | undefined;
  readonly error?: TargetFailure;
  /** Each dependent of the target and what this run did to it (docs/design.md §12); absent without dependents. */
  readonly dependents?: readonly DependentResult[];
  /**
   * Why a target was skipped although it may be due: another run holds its lease, its trigger
   * accepts OAuth callers only (no sig), or a discovered site workflow has no Request trigger.
   */
  readonly skipped?: { readonly code: 'LeaseHeld' | 'NoSharedAccessSignature' | 'NoRequestTrigger'; readonly message: string };
}

/** A result for a target that was never acted on: nothing regenerated, nothing published. */
export function untouchedResult(
  target: { readonly workflowId: string; readonly trigger: string; readonly secretName: string },
  action: 'skipped' | 'failed',
  detail: Pick<TargetResult, 'error' | 'skipped'>,
): TargetResult {
  return {
    workflowId: target.workflowId,
    trigger: target.trigger,
    secretName: target.secretName,
    action,
    reason: undefined,
    keyType: undefined,
    secretVersion: undefined,
    oldSigFingerprint: undefined,
    newSigFingerprint: undefined,
    ...detail,
  };
}
