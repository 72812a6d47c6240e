import { app, type InvocationContext, type Timer } from '@azure/functions';
import { ConfigurationError, fanoutThreshold, loadSettings, settingDefaults } from '../composition/config';
import type { RotationServices } from '../composition/createRotationServices';
import { targetQueueName } from '../azure/storage/TargetQueue';
import type { RotationTarget } from '../rotation/RotationTarget';
import { describeTargetResult } from '../rotation/describeTargetResult';
import { servicesFor } from '../composition/processServices';
import { recordDiscoveryProblems, resolveTargets } from '../composition/resolveTargets';
import { describeDiscoveryProblem } from '../rotation/DiscoveryProblem';
import { scrubSecrets } from '../rotation/scrubSecrets';
import { recordWithoutSettings } from '../composition/recordWithoutSettings';
import { describeFailure } from '../rotation/failures';
import type { RunOutcome } from '../rotation/ports';
import { runRotation, type RotationRunResult } from '../rotation/runRotation';
import { untouchedResult } from '../rotation/TargetResult';
import { invocationDeadlineMs } from '../composition/invocationLimits';

/**
 * The scheduled rotation: settings → dependencies → the protocol for every configured target.
 * Thin on purpose; the protocol lives in src/rotation.
 */
export async function rotateSasKeys(timer: Timer, context: InvocationContext): Promise<RotationRunResult> {
  let settings;
  let services;
  try {
    settings = loadSettings(process.env);
    services = servicesFor(settings);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      error.problems.forEach((problem) => context.error(`Configuration: ${problem}`));
      context.error('Nothing was rotated: fix the app settings above.');
      // A run that could not start is a failed run for the dashboards and the "no successful run" alert.
      await recordWithoutSettings(process.env, (telemetry) =>
        telemetry.trackRun({
          outcome: 'Failed',
          invocationId: context.invocationId,
          isPastDue: timer.isPastDue,
          targets: 0,
          rotated: 0,
          skipped: 0,
          failed: 0,
          discoveryProblems: 0,
          dependentFailures: 0,
          durationMs: 0,
        }),
      ).catch((recordError: unknown) => context.warn(`Could not record the failed run: ${scrubSecrets(String(recordError))}`));
    }
    throw error;
  }
  if (timer.isPastDue) {
    context.warn('The rotation timer is past due: the previous run was missed or the app was stopped; rotating now.');
  }
  if (services.singleWriterWarning) {
    context.warn(services.singleWriterWarning);
  }
  try {
    const deadline = AbortSignal.timeout(invocationDeadlineMs);
    const { targets, notes, problems } = await resolveTargets(settings, services, deadline);
    notes.forEach((note) => context.warn(`Discovery: ${note}`));
    problems.forEach((problem) => context.error(`Discovery: ${describeDiscoveryProblem(problem)}`));
    recordDiscoveryProblems(problems, services.telemetry, context.invocationId);
    if (settings.mode === 'fanout' || (settings.mode === 'auto' && targets.length > fanoutThreshold)) {
      return await fanOut(targets, problems.length, services, context, timer.isPastDue, deadline);
    }
    const result = await runRotation(targets, services, {
      mode: 'rotate',
      invocationId: context.invocationId,
      isPastDue: timer.isPastDue,
      concurrency: settings.concurrency,
      abortSignal: deadline,
      discoveryProblems: problems.length,
      onTargetDone: (target) => {
        const line = describeTargetResult(target);
        if (target.action === 'failed') {
          context.error(line);
        } else {
          context.log(line);
        }
      },
    });
    const count = (action: string): number => result.targets.filter((t) => t.action === action).length;
    const incomplete =
      problems.length > 0 ? ` Discovery was incomplete (${problems.length} problem${problems.length === 1 ? '' : 's'}, above).` : '';
    const summary = `Rotation run ${result.outcome}: ${count('rotated')} rotated, ${count('skipped')} skipped, ${count('failed')} failed of ${result.targets.length} targets in ${result.durationMs} ms.${incomplete}`;
    if (result.outcome === 'Succeeded' || result.outcome === 'NothingDue') {
      context.log(summary);
    } else {
      context.error(summary);
    }
    return result;
  } finally {
    await services.telemetry.flush();
  }
}

/**
 * Large estates: one queue message per target, rotated by `rotateSasKeyFromQueue` with the same
 * protocol and lease, so no single invocation has to fit the whole estate into functionTimeout.
 * A target that could not be queued is a failure of this run (step `enqueue`): it will not rotate.
 */
async function fanOut(
  targets: readonly RotationTarget[],
  discoveryProblems: number,
  services: RotationServices,
  context: InvocationContext,
  isPastDue: boolean,
  deadline: AbortSignal,
): Promise<RotationRunResult> {
  const startedAt = performance.now();
  if (!services.targetQueue) {
    throw new ConfigurationError([
      'ROTATION_MODE fans out to a Storage queue, but no AzureWebJobsStorage settings are there. Fix: set AzureWebJobsStorage (or __accountName), or ROTATION_MODE=inline.',
    ]);
  }
  const notQueued = await services.targetQueue.enqueue(
    targets.map((target) => ({ target, invocationId: context.invocationId })),
    { abortSignal: deadline },
  );
  const durationMs = Math.round(performance.now() - startedAt);
  const failures = notQueued.map(({ message, error }) => {
    const failure = describeFailure('enqueue', error);
    const result = untouchedResult(message.target, 'failed', {
      error: { ...failure, message: `not queued, so not rotated in this run: ${failure.message}` },
    });
    services.telemetry.trackTargetFailed({
      workflowId: result.workflowId,
      trigger: result.trigger,
      keyType: undefined,
      step: 'enqueue',
      statusCode: failure.statusCode,
      errorCode: failure.code ?? 'EnqueueFailed',
      message: result.error?.message ?? '',
      invocationId: context.invocationId,
      durationMs,
    });
    context.error(describeTargetResult(result));
    return result;
  });
  const queued = targets.length - failures.length;
  const failed = failures.length + discoveryProblems;
  const outcome: RunOutcome = failed > 0 ? (queued > 0 ? 'PartiallyFailed' : 'Failed') : queued > 0 ? 'Succeeded' : 'NothingDue';
  // The run's own event records the hand-off; each target's rotation reports for itself.
  services.telemetry.trackRun({
    outcome,
    invocationId: context.invocationId,
    isPastDue,
    targets: targets.length,
    rotated: 0,
    skipped: 0,
    failed: failures.length,
    discoveryProblems,
    dependentFailures: 0,
    durationMs,
  });
  const summary =
    `Fan-out ${outcome}: queued ${queued} of ${targets.length} targets on '${targetQueueName}' in ${durationMs} ms; rotateSasKeyFromQueue rotates them.` +
    (discoveryProblems > 0 ? ` Discovery was incomplete (${discoveryProblems} problem${discoveryProblems === 1 ? '' : 's'}, above).` : '');
  if (failed > 0) {
    context.error(summary);
  } else {
    context.log(summary);
  }
  return { outcome, invocationId: context.invocationId, targets: failures, durationMs };
}

app.timer('rotateSasKeys', {
  // The schedule is an app setting (`%ROTATION_SCHEDULE%`) so operators change it without a deploy;
  // the host refuses to index a `%setting%` that does not exist, hence the default.
  schedule: process.env.ROTATION_SCHEDULE?.trim() ? '%ROTATION_SCHEDULE%' : settingDefaults.ROTATION_SCHEDULE,
  handler: rotateSasKeys,
});
