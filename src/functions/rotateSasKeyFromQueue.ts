import { app, type InvocationContext } from '@azure/functions';
import { ConfigurationError, loadSettings, type RotatorSettings } from '../composition/config';
import type { RotationServices } from '../composition/createRotationServices';
import { describeTargetResult } from '../rotation/describeTargetResult';
import { servicesFor } from '../composition/processServices';
import type { DiscoveryProblem } from '../rotation/DiscoveryProblem';
import { mergeTargets } from '../rotation/mergeTargets';
import type { RotationTarget } from '../rotation/RotationTarget';
import { readTargetMessage, targetQueueName } from '../azure/storage/TargetQueue';
import { rotateTarget } from '../rotation/rotateTarget';
import type { DependentFailedEvent, RotationTelemetry } from '../rotation/ports';
import { untouchedResult, type TargetResult } from '../rotation/TargetResult';
import type { TargetFailure } from '../rotation/failures';
import { scrubSecrets } from '../rotation/scrubSecrets';
import { recordWithoutSettings } from '../composition/recordWithoutSettings';
import { invocationDeadlineMs } from '../composition/invocationLimits';

/** Keep in step with `extensions.queues.maxDequeueCount` in host.json (a test checks both). */
export const maxDequeueCount = 5;

/**
 * Fan-out mode: rotates the one target of a queue message with the same protocol and lease as the
 * timer. A failed attempt throws so the host retries it later (visibility timeout); the last
 * attempt records `SasKeyRotationFailed` and completes, instead of sending a poison message nobody
 * watches. Earlier attempts record nothing, so one flaky target raises one alert, not five. What
 * can get better (a target whose resource could not be read, invalid app settings an operator fixes)
 * is retried like a failed rotation; only a message that names no target is completed at once.
 */
export async function rotateSasKeyFromQueue(message: unknown, context: InvocationContext): Promise<TargetResult | undefined> {
  // From the start of the invocation, not of the rotation: confirming the target counts too, or a
  // slow ARM read plus a rotation would outlive functionTimeout and the host would kill the last
  // attempt before it records anything.
  const deadline = AbortSignal.timeout(invocationDeadlineMs);
  const dequeueCount = Number(context.triggerMetadata?.dequeueCount ?? 1);
  const finalAttempt = dequeueCount >= maxDequeueCount;
  const attempt = `attempt ${dequeueCount} of ${maxDequeueCount}`;
  const reference = readTargetMessage(message);
  const workflowId = reference.workflowId;
  const invocationId = reference.invocationId ?? context.invocationId;

  let settings: RotatorSettings;
  try {
    settings = loadSettings(process.env);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    const failure: TargetFailure = {
      step: 'readSecret',
      code: 'ConfigurationError',
      message: `the app settings are invalid, so nothing was rotated: ${error.problems.join(' ')}`,
    };
    context.error(`Configuration: ${error.problems.join(' ')}`);
    if (!finalAttempt) throw new Error(`${failure.message} (${attempt}: will be retried)`);
    const result = untouchedResult({ workflowId: scrubSecrets(workflowId ?? ''), trigger: '', secretName: '' }, 'failed', {
      error: failure,
    });
    await recordWithoutSettings(process.env, (telemetry) => trackFailure(telemetry, result, failure, invocationId));
    return result;
  }
  const services = servicesFor(settings);

  // A message names a target; it never decides how it is rotated. Secret name, adopt and interval come
  // from the configuration as it is now, so a forged or stale message cannot point a rotation at
  // another secret, adopt a foreign one, or force a rotation.
  const lookup = workflowId ? await configuredTarget(workflowId, settings, services, deadline) : undefined;
  if (workflowId && lookup?.problem) {
    // The target's resource could not be read: it may well still be one. Never drop it for that.
    const failure: TargetFailure = {
      step: 'readSecret',
      code: 'TargetNotConfirmed',
      message: lookup.problem.message,
      ...(lookup.problem.statusCode !== undefined ? { statusCode: lookup.problem.statusCode } : {}),
    };
    if (!finalAttempt) throw new Error(scrubSecrets(`${workflowId}: ${failure.message}; the message will be retried (${attempt}).`));
    const result = untouchedResult({ workflowId, trigger: '', secretName: '' }, 'failed', {
      error: { ...failure, message: scrubSecrets(failure.message) },
    });
    context.error(`${describeTargetResult(result)} (${attempt}: giving up, recorded as SasKeyRotationFailed)`);
    trackFailure(services.telemetry, result, failure, invocationId);
    await services.telemetry.flush();
    return result;
  }
  const target = lookup?.target;
  if (!target) {
    // Names no target under the configuration as it is now (read, not guessed): it never gets better.
    const problem = scrubSecrets(
      workflowId
        ? `${workflowId} is not a listed or discovered target (any more): ${lookup?.rejected ?? 'unknown'}`
        : 'the message names no workflowId',
    );
    context.error(`Queue message rejected: ${problem}`);
    services.telemetry.trackTargetFailed({
      workflowId: workflowId ? scrubSecrets(workflowId) : '',
      trigger: '',
      keyType: undefined,
      step: 'readSecret',
      statusCode: undefined,
      errorCode: 'InvalidQueueMessage',
      message: problem,
      // The run that queued the target, like every other event of the message.
      invocationId,
      durationMs: 0,
    });
    await services.telemetry.flush();
    return undefined;
  }

  // A dependent's failure is recorded unless the attempt is retried (then the retry records its own): an
  // attempt that completes — the target rotated, a dependent did not follow — is the last one.
  const dependentFailures: DependentFailedEvent[] = [];
  const telemetry: RotationTelemetry = finalAttempt
    ? services.telemetry
    : {
        trackTargetRotated: (event) => services.telemetry.trackTargetRotated(event),
        trackTargetFailed: () => undefined,
        trackDiscoveryFailed: (event) => services.telemetry.trackDiscoveryFailed(event),
        trackDependentUpdated: (event) => services.telemetry.trackDependentUpdated(event),
        trackDependentFailed: (event) => dependentFailures.push(event),
        trackRun: (event) => services.telemetry.trackRun(event),
        flush: () => services.telemetry.flush(),
      };
  try {
    const result = await rotateTarget(
      target,
      { ...services, telemetry },
      {
        mode: 'rotate',
        invocationId,
        abortSignal: deadline,
      },
    );
    const line = describeTargetResult(result);
    if (result.action !== 'failed') {
      dependentFailures.forEach((event) => services.telemetry.trackDependentFailed(event));
      context.log(line);
      return result;
    }
    if (finalAttempt) {
      context.error(`${line} (${attempt}: giving up, recorded as SasKeyRotationFailed)`);
      return result;
    }
    throw new Error(`${line} (${attempt}: will be retried)`);
  } finally {
    await services.telemetry.flush();
  }
}

function trackFailure(telemetry: RotationTelemetry, result: TargetResult, failure: TargetFailure, invocationId: string): void {
  telemetry.trackTargetFailed({
    workflowId: result.workflowId,
    trigger: result.trigger,
    keyType: undefined,
    step: failure.step,
    statusCode: failure.statusCode,
    errorCode: failure.code,
    message: scrubSecrets(failure.message),
    invocationId,
    durationMs: 0,
  });
}

/**
 * The target a message names, under the configuration as it is now, without a discovery (docs/design.md
 * §11.1): a listed target from ROTATION_TARGETS (no I/O); else a discovered one confirmed from its own
 * resource (`ArmTargetDiscovery.confirm`: inside a configured scope, one or two ARM GETs, built from its
 * current tags), which may not take a listed target's secret. A secret another discovered workflow owns
 * is refused by the protocol (its workflowId tag, §3.1).
 */
async function configuredTarget(
  workflowId: string,
  settings: RotatorSettings,
  services: RotationServices,
  deadline: AbortSignal,
): Promise<{ readonly target?: RotationTarget; readonly rejected?: string; readonly problem?: DiscoveryProblem }> {
  const matches = (t: RotationTarget) => t.workflowId.toLowerCase() === workflowId.trim().toLowerCase();
  const listed = settings.targets.find(matches);
  if (listed) return { target: listed };
  if (settings.discoveryScopes.length === 0) return { rejected: 'it is not listed, and ROTATION_DISCOVERY is empty' };
  const confirmation = await services.discovery.confirm(workflowId, settings.discoveryScopes, { abortSignal: deadline });
  if ('problem' in confirmation) return { problem: confirmation.problem };
  if ('notATarget' in confirmation) return { rejected: confirmation.notATarget };
  const merged = mergeTargets(settings.targets, [confirmation.target]);
  const [collision] = merged.problems;
  if (collision) return { rejected: collision.message };
  return { target: confirmation.target };
}

app.storageQueue('rotateSasKeyFromQueue', {
  queueName: targetQueueName,
  connection: 'AzureWebJobsStorage',
  handler: rotateSasKeyFromQueue,
});
