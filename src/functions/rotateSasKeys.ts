import { app, type InvocationContext, type Timer } from '@azure/functions';
import { ConfigurationError, loadSettings, settingDefaults } from '../config';
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

app.timer('rotateSasKeys', {
  // The schedule is an app setting (`%ROTATION_SCHEDULE%`) so operators change it without a deploy;
  // the host refuses to index a `%setting%` that does not exist, hence the default.
  schedule: process.env.ROTATION_SCHEDULE?.trim() ? '%ROTATION_SCHEDULE%' : settingDefaults.ROTATION_SCHEDULE,
  handler: rotateSasKeys,
});
