import { app, type InvocationContext } from '@azure/functions';
import { loadSettings, type RotatorSettings } from '../config';
import type { RotationServices } from '../createRotationServices';
import { describeTargetResult } from '../describeTargetResult';
import { servicesFor } from '../processServices';
import { resolveTargets } from '../resolveTargets';
import type { RotationTarget } from '../rotation/RotationTarget';
import { targetQueueName } from '../queue/TargetQueue';
import { rotateTarget } from '../rotation/rotateTarget';
import type { RotationTelemetry } from '../rotation/RotationTelemetry';
import type { TargetResult } from '../rotation/TargetResult';
import { scrubSecrets } from '../rotation/scrubSecrets';
import { functionTimeoutMs } from './rotateSasKeys';

/** Keep in step with `extensions.queues.maxDequeueCount` in host.json (a test checks both). */
export const maxDequeueCount = 5;

/**
 * Fan-out mode: rotates the one target of a queue message with the same protocol and lease as the
 * timer. A failed attempt throws so the host retries it later (visibility timeout); the last
 * attempt records `SasKeyRotationFailed` and completes, instead of sending a poison message nobody
 * watches. Earlier attempts record nothing, so one flaky target raises one alert, not five.
 */
export async function rotateSasKeyFromQueue(message: unknown, context: InvocationContext): Promise<TargetResult | undefined> {
  const settings = loadSettings(process.env);
  const services = servicesFor(settings);
  const dequeueCount = Number(context.triggerMetadata?.dequeueCount ?? 1);
  const finalAttempt = dequeueCount >= maxDequeueCount;

  const body = decode(message) as { target?: { workflowId?: unknown }; invocationId?: unknown } | undefined;
  const workflowId = typeof body?.target?.workflowId === 'string' ? body.target.workflowId : undefined;
  // A message names a target; it never decides how it is rotated. Secret name, adopt and interval come
  // from the configuration as it is now, so a forged or stale message cannot point a rotation at
  // another secret, adopt a foreign one, or force a rotation.
  const target = workflowId ? await configuredTarget(workflowId, settings, services) : undefined;
  const problems = target ? [] : [workflowId ? `${workflowId} is not a listed or discovered target (any more)` : 'the message names no workflowId'];
  if (!target) {
    // A malformed message never gets better: record it once and complete it.
    const problem = scrubSecrets(problems.join(' ') || 'the message is not a sas-rotator target message');
    context.error(`Queue message rejected: ${problem}`);
    services.telemetry.trackTargetFailed({
      workflowId: typeof body?.target?.workflowId === 'string' ? scrubSecrets(body.target.workflowId) : '',
      trigger: '',
      keyType: undefined,
      step: 'readSecret',
      statusCode: undefined,
      errorCode: 'InvalidQueueMessage',
      message: problem,
      invocationId: context.invocationId,
      durationMs: 0,
    });
    await services.telemetry.flush();
    return undefined;
  }

  const telemetry: RotationTelemetry = finalAttempt
    ? services.telemetry
    : {
        trackTargetRotated: (event) => services.telemetry.trackTargetRotated(event),
        trackTargetFailed: () => undefined,
        trackRun: (event) => services.telemetry.trackRun(event),
        flush: () => services.telemetry.flush(),
      };
  try {
    const result = await rotateTarget(target, { ...services, telemetry }, {
      mode: 'rotate',
      invocationId: typeof body?.invocationId === 'string' ? body.invocationId : context.invocationId,
      abortSignal: AbortSignal.timeout(functionTimeoutMs - 60_000),
    });
    const line = describeTargetResult(result);
    if (result.action !== 'failed') {
      context.log(line);
      return result;
    }
    if (finalAttempt) {
      context.error(`${line} (attempt ${dequeueCount} of ${maxDequeueCount}: giving up, recorded as SasKeyRotationFailed)`);
      return result;
    }
    throw new Error(`${line} (attempt ${dequeueCount} of ${maxDequeueCount}: will be retried)`);
  } finally {
    await services.telemetry.flush();
  }
}

let discovered: { readonly at: number; readonly targets: readonly RotationTarget[] } | undefined;
/** Discovery lists whole scopes: once per few minutes per worker, not once per message. */
const discoveryCacheMs = 5 * 60 * 1000;

async function configuredTarget(workflowId: string, settings: RotatorSettings, services: RotationServices): Promise<RotationTarget | undefined> {
  const matches = (t: RotationTarget) => t.workflowId.toLowerCase() === workflowId.trim().toLowerCase();
  const listed = settings.targets.find(matches);
  if (listed || settings.discoveryScopes.length === 0) {
    return listed;
  }
  if (!discovered || Date.now() - discovered.at > discoveryCacheMs) {
    discovered = { at: Date.now(), targets: (await resolveTargets(settings, services)).targets };
  }
  return discovered.targets.find(matches);
}

function decode(message: unknown): unknown {
  if (typeof message !== 'string') {
    return message;
  }
  for (const text of [message, Buffer.from(message, 'base64').toString('utf8')]) {
    try {
      return JSON.parse(text);
    } catch {
      // not JSON in this encoding
    }
  }
  return undefined;
}

app.storageQueue('rotateSasKeyFromQueue', {
  queueName: targetQueueName,
  connection: 'AzureWebJobsStorage',
  handler: rotateSasKeyFromQueue,
});
