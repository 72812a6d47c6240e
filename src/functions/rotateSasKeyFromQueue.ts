import { app, type InvocationContext } from '@azure/functions';
import { loadSettings, parseTarget } from '../config';
import { describeTargetResult } from '../describeTargetResult';
import { servicesFor } from '../processServices';
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

  const problems: string[] = [];
  const body = decode(message) as { target?: Record<string, unknown>; invocationId?: unknown; force?: unknown } | undefined;
  // Validated like any listed target: a message is input too. The host is derived again from the ID.
  const fields = body?.target ?? {};
  const entry = Object.fromEntries(['workflowId', 'trigger', 'secretName', 'intervalDays', 'adopt'].filter((key) => key in fields).map((key) => [key, fields[key]]));
  const parsed = body?.target ? parseTarget(entry, `queue message ${context.invocationId}`, settings.intervalDays, problems) : undefined;
  const target = parsed && fields.discoveredFromSite === true ? { ...parsed, discoveredFromSite: true } : parsed;
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
      force: body?.force === true,
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
