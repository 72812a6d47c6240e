import { mapWithConcurrency } from './mapWithConcurrency';
import type { RunOutcome } from './ports';
import type { RotationTarget } from './RotationTarget';
import { rotateTarget, type RotationDependencies, type TargetMode } from './rotateTarget';
import { writeBudgetKey } from './SubscriptionWriteBudget';
import { untouchedResult, type TargetResult } from './TargetResult';

export interface RunRotationOptions {
  readonly mode: TargetMode;
  readonly force?: boolean;
  readonly invocationId: string;
  readonly isPastDue?: boolean;
  /** Targets rotated at once (`ROTATION_CONCURRENCY`). */
  readonly concurrency: number;
  /** The run's deadline: no target starts after it fires, and in-flight calls are cancelled. */
  readonly abortSignal?: AbortSignal;
  /**
   * Problems of the discovery that produced `targets` (already recorded as `SasKeyDiscoveryFailed`):
   * any of them means the run did not see every target, so it cannot be `Succeeded` or `NothingDue`.
   */
  readonly discoveryProblems?: number;
  /** Called as each target finishes, for progress display. */
  readonly onTargetDone?: (result: TargetResult, done: number, total: number) => void;
}

/** The report of a whole run (the CLI's `--json` object, docs/design.md §7). */
export interface RotationRunResult {
  readonly outcome: RunOutcome;
  readonly invocationId: string;
  readonly targets: readonly TargetResult[];
  readonly durationMs: number;
}

/**
 * Walks the targets with bounded concurrency. Each target's failure stays its own: one broken
 * workflow never stops the others. Records one `SasKeyRotationRun` per run (not for dry runs).
 */
export async function runRotation(
  targets: readonly RotationTarget[],
  dependencies: RotationDependencies,
  options: RunRotationOptions,
): Promise<RotationRunResult> {
  const startedAt = performance.now();
  let done = 0;
  // Interleaved by subscription, and each free worker starts a target whose subscription has write
  // budget, so a throttled subscription does not hold up the others; results keep the configured order.
  const order = interleaveBySubscription(targets);
  const interleaved = await mapWithConcurrency(
    order.map((index) => targets[index] as RotationTarget),
    options.concurrency,
    async (target) => {
      const result = await rotateTarget(target, dependencies, {
        mode: options.mode,
        force: options.force ?? false,
        invocationId: options.invocationId,
        abortSignal: options.abortSignal,
      });
      options.onTargetDone?.(result, ++done, targets.length);
      return result;
    },
    { abortSignal: options.abortSignal, notStarted: notStartedBeforeDeadline },
    // Start a target whose subscription has write budget now; only when none has, wait in order.
    dependencies.writeBudget
      ? (pending) =>
          Math.max(
            0,
            pending.findIndex((target) => dependencies.writeBudget?.available(writeBudgetKey(target.workflowId))),
          )
      : undefined,
  );
  const results = new Array<TargetResult>(targets.length);
  order.forEach((targetIndex, position) => {
    results[targetIndex] = interleaved[position] as TargetResult;
  });
  const durationMs = Math.round(performance.now() - startedAt);
  const discoveryProblems = options.discoveryProblems ?? 0;
  const outcome = runOutcome(results, discoveryProblems);
  if (options.mode !== 'dryRun') {
    // Targets never started are due targets that were not rotated: the alerts must see each one.
    for (const result of results) {
      if (result.error?.code === deadlineReached) {
        dependencies.telemetry.trackTargetFailed({
          workflowId: result.workflowId,
          trigger: result.trigger,
          keyType: undefined,
          step: result.error.step,
          statusCode: undefined,
          errorCode: deadlineReached,
          message: result.error.message,
          invocationId: options.invocationId,
          durationMs: 0,
        });
      }
    }
    dependencies.telemetry.trackRun({
      outcome,
      invocationId: options.invocationId,
      isPastDue: options.isPastDue ?? false,
      targets: results.length,
      rotated: results.filter(isRotation).length,
      skipped: results.filter((r) => r.action === 'skipped' && r.error === undefined).length,
      failed: results.filter((r) => r.action === 'failed' || r.error !== undefined).length,
      discoveryProblems,
      dependentFailures: results.reduce((sum, r) => sum + (r.dependents ?? []).filter((d) => d.outcome === 'failed').length, 0),
      durationMs,
    });
  }
  return { outcome, invocationId: options.invocationId, targets: results, durationMs };
}

/** Target indexes, taking one target of each subscription in turn. */
export function interleaveBySubscription(targets: readonly RotationTarget[]): number[] {
  const queues = new Map<string, number[]>();
  targets.forEach((target, index) => {
    const key = writeBudgetKey(target.workflowId);
    const queue = queues.get(key) ?? [];
    queue.push(index);
    queues.set(key, queue);
  });
  const order: number[] = [];
  const lanes = [...queues.values()];
  for (let round = 0; order.length < targets.length; round++) {
    for (const lane of lanes) {
      const index = lane[round];
      if (index !== undefined) order.push(index);
    }
  }
  return order;
}

/** A run that failed targets or could not see all of them is never a success (the no-silent-non-rotation invariant). */
export function runOutcome(results: readonly TargetResult[], discoveryProblems = 0): RunOutcome {
  // A dependent left behind is a failure too: the gate will hold its target's next rotation (docs/design.md §12).
  const failed =
    results.filter((r) => r.action === 'failed' || r.error !== undefined || r.dependents?.some((d) => d.outcome === 'failed')).length +
    discoveryProblems;
  const acted = results.filter((r) => isRotation(r) || r.action === 'planned').length;
  if (failed > 0) {
    return acted > 0 ? 'PartiallyFailed' : 'Failed';
  }
  return acted > 0 ? 'Succeeded' : 'NothingDue';
}

function isRotation(result: TargetResult): boolean {
  return result.action === 'rotated' || result.action === 'revoked';
}

const deadlineReached = 'DeadlineReached';

/**
 * A target left unstarted at the deadline counts against the run like a failure: it was not
 * rotated, and the run must not look complete to dashboards or to the CLI's exit status.
 */
function notStartedBeforeDeadline(target: RotationTarget): TargetResult {
  return untouchedResult(target, 'skipped', {
    error: {
      step: 'readSecret',
      code: deadlineReached,
      message: 'Not started: the run reached its deadline before this target; the next run picks it up.',
    },
  });
}
