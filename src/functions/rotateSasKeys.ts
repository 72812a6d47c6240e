import { app, type InvocationContext, type Timer } from '@azure/functions';
import { ConfigurationError, fanoutThreshold, loadSettings, settingDefaults } from '../config';
import type { RotationServices } from '../createRotationServices';
import { targetQueueName } from '../queue/TargetQueue';
import type { RotationTarget } from '../rotation/RotationTarget';
import { describeTargetResult } from '../describeTargetResult';
import { servicesFor } from '../processServices';
import { resolveTargets } from '../resolveTargets';
import { runRotation, type RotationRunResult } from '../rotation/runRotation';

/** Keep in step with `functionTimeout` in host.json (a test checks both). */
export const functionTimeoutMs = 10 * 60 * 1000;
/** Stop starting targets this long before the host kills the invocation, to flush and report. */
const deadlineMarginMs = 60 * 1000;

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
    const deadline = AbortSignal.timeout(functionTimeoutMs - deadlineMarginMs);
    const { targets, notes, problems } = await resolveTargets(settings, services, deadline);
    notes.forEach((note) => context.warn(`Discovery: ${note}`));
    problems.forEach((problem) => context.error(`Discovery: ${problem}`));
    if (settings.mode === 'fanout' || (settings.mode === 'auto' && targets.length > fanoutThreshold)) {
      return await fanOut(targets, services, context, timer.isPastDue, deadline);
    }
    const result = await runRotation(targets, services, {
      mode: 'rotate',
      invocationId: context.invocationId,
      isPastDue: timer.isPastDue,
      concurrency: settings.concurrency,
      abortSignal: deadline,
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
    context.log(
      `Rotation run ${result.outcome}: ${count('rotated')} rotated, ${count('skipped')} skipped, ${count('failed')} failed of ${result.targets.length} targets in ${result.durationMs} ms.`,
    );
    return result;
  } finally {
    await services.telemetry.flush();
  }
}

/**
 * Large estates: one queue message per target, rotated by `rotateSasKeyFromQueue` with the same
 * protocol and lease, so no single invocation has to fit the whole estate into functionTimeout.
 */
async function fanOut(
  targets: readonly RotationTarget[],
  services: RotationServices,
  context: InvocationContext,
  isPastDue: boolean,
  deadline: AbortSignal,
): Promise<RotationRunResult> {
  const startedAt = performance.now();
  if (!services.targetQueue) {
    throw new ConfigurationError(['ROTATION_MODE fans out to a Storage queue, but no AzureWebJobsStorage settings are there. Fix: set AzureWebJobsStorage (or __accountName), or ROTATION_MODE=inline.']);
  }
  await services.targetQueue.enqueue(
    targets.map((target) => ({ target, invocationId: context.invocationId, force: false })),
    { abortSignal: deadline },
  );
  const durationMs = Math.round(performance.now() - startedAt);
  // The run's own event records the hand-off; each target's rotation reports for itself.
  services.telemetry.trackRun({ outcome: 'Succeeded', invocationId: context.invocationId, isPastDue, targets: targets.length, rotated: 0, skipped: 0, failed: 0, durationMs });
  context.log(`Fan-out: queued ${targets.length} targets on '${targetQueueName}' in ${durationMs} ms; rotateSasKeyFromQueue rotates them.`);
  return { outcome: 'Succeeded', invocationId: context.invocationId, targets: [], durationMs };
}

app.timer('rotateSasKeys', {
  // The schedule is an app setting (`%ROTATION_SCHEDULE%`) so operators change it without a deploy;
  // the host refuses to index a `%setting%` that does not exist, hence the default.
  schedule: process.env.ROTATION_SCHEDULE?.trim() ? '%ROTATION_SCHEDULE%' : settingDefaults.ROTATION_SCHEDULE,
  handler: rotateSasKeys,
});
