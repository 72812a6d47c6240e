import { InvocationContext, type Timer } from '@azure/functions';
import type { AzureEmulator } from '../../emulator/index';
import type { ProducedOutput } from './expectNoIssuedSecrets';

/**
 * The Functions host's part, for tests that call the function handlers (src/functions) in this
 * process: the values it passes them, and the end of the worker's life, when the services the
 * handlers share (src/composition/processServices) are closed and their telemetry flushed.
 * processServices is imported when needed, as the tests import the handlers, so that a file
 * loads only the product modules it uses.
 */

/** The timer binding's value for the timer function. */
export function timerTrigger(isPastDue = false): Timer {
  return { isPastDue, schedule: { adjustForDST: true }, scheduleStatus: { last: '', next: '', lastUpdated: '' } };
}

export interface FunctionInvocation {
  readonly context: InvocationContext;
  /** What the handler logged, one `level: message` line per call, e.g. `warning: …`. */
  readonly lines: readonly string[];
}

/**
 * One invocation's context: `dequeueCount` as the host passes it to a queue-triggered function;
 * every logged line also goes to `output`, for the file's secret-hygiene check.
 */
export function functionInvocation(
  invocationId: string,
  options: { readonly dequeueCount?: number; readonly output?: ProducedOutput } = {},
): FunctionInvocation {
  const lines: string[] = [];
  const context = new InvocationContext({
    invocationId,
    functionName: 'test',
    logHandler: (level, ...args) => {
      const line = `${level}: ${args.map(String).join(' ')}`;
      lines.push(line);
      options.output?.add(line);
    },
    ...(options.dequeueCount ? { triggerMetadata: { dequeueCount: options.dequeueCount } } : {}),
  });
  return { context, lines };
}

/**
 * For files whose handlers discover targets: the returned function points the handlers' settings at
 * one discovery scope (`/subscriptions/{id}[/resourceGroups/{rg}]`) and the listed targets (none
 * unless given) for one test; the afterEach registered here removes both.
 */
export function useDiscoverySettings(): (scope: string, listedTargets?: readonly object[]) => void {
  afterEach(() => {
    delete process.env.ROTATION_DISCOVERY;
    delete process.env.ROTATION_TARGETS;
  });
  return (scope, listedTargets = []) => {
    process.env.ROTATION_DISCOVERY = scope;
    process.env.ROTATION_TARGETS = JSON.stringify(listedTargets);
  };
}

/** The worker shuts down: the handlers' shared services are closed, their telemetry sent. */
export async function closeFunctionHandlerServices(): Promise<void> {
  const { closeProcessServices } = await import('../../src/composition/processServices');
  await closeProcessServices();
}

/**
 * The customDimensions (properties, and measurements as text) of the ingested events `name`, of
 * one invocation if given, once the handlers' telemetry was flushed: what an alert rule queries.
 */
export async function ingestedEvents(emulator: AzureEmulator, name: string, invocationId?: string): Promise<Array<Record<string, string>>> {
  await closeFunctionHandlerServices();
  return emulator.appInsights.envelopes
    .filter(
      (e) => e.data?.baseData?.name === name && (invocationId === undefined || e.data.baseData.properties?.invocationId === invocationId),
    )
    .map((e) => ({
      ...e.data?.baseData?.properties,
      ...Object.fromEntries(Object.entries(e.data?.baseData?.measurements ?? {}).map(([k, v]) => [k, String(v)])),
    }));
}

/** The queue worker's module loaded afresh, as on a cold instance: nothing cached yet (discovery included). */
export function freshQueueWorker(): typeof import('../../src/functions/rotateSasKeyFromQueue') {
  let worker: typeof import('../../src/functions/rotateSasKeyFromQueue') | undefined;
  jest.isolateModules(() => {
    worker = jest.requireActual<typeof import('../../src/functions/rotateSasKeyFromQueue')>('../../src/functions/rotateSasKeyFromQueue');
  });
  return worker as typeof import('../../src/functions/rotateSasKeyFromQueue');
}
