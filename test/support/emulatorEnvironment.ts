import { loadSettings, type RotatorSettings } from '../../src/composition/config';
import { startEmulator, type AzureEmulator, type EmulatorOptions } from '../../emulator/index';
import { withConformanceCheck } from '../openapi/conformanceCheck';
import { resourceGroup, subscriptionId } from './constants';
import { closeFunctionHandlerServices } from './functionInvocation';

export interface UseEmulatorOptions extends EmulatorOptions {
  /**
   * The file calls the function handlers (src/functions) in this process. They share services per
   * process (src/composition/processServices), which are closed, and their telemetry flushed,
   * before the emulator stops.
   */
  readonly callsFunctionHandlers?: boolean;
}

/** What each emulator's afterAll runs before it stops (see `beforeEmulatorStops`). */
const workBeforeStop = new WeakMap<AzureEmulator, Array<() => Promise<unknown>>>();

/**
 * The one way a test file gets the emulator, with jest hooks of its own. beforeAll starts it and
 * points this jest worker's environment at it (`startEmulatorEnvironment`). After each test, it
 * injects no faults any more. afterAll runs what was registered to run before it stops
 * (`beforeEmulatorStops`: closing the services of `useRotationServices`, say), restores the
 * environment, and stops it — which checks every recorded exchange against Microsoft's published
 * specs and fails the file on a mismatch (test/openapi/conformanceCheck.ts).
 *
 * What it returns stands for the started emulator: use it inside tests and hooks. It is one object
 * for the whole file, so helpers can be handed it before the emulator exists.
 */
export function useEmulator(options: UseEmulatorOptions = {}): AzureEmulator {
  const { callsFunctionHandlers = false, ...emulatorOptions } = options;
  const environmentBefore = { ...process.env };
  let started: AzureEmulator | undefined;
  const emulator = new Proxy({} as AzureEmulator, {
    get(_unused, property) {
      if (!started) {
        throw new Error(
          `The emulator is started in beforeAll: use it inside a test or a hook, not while jest collects the tests (emulator.${String(property)}).`,
        );
      }
      const value: unknown = Reflect.get(started, property, started);
      return typeof value === 'function' ? value.bind(started) : value;
    },
  });
  const beforeStop: Array<() => Promise<unknown>> = [];
  if (callsFunctionHandlers) beforeStop.push(closeFunctionHandlerServices);
  workBeforeStop.set(emulator, beforeStop);

  beforeAll(async () => {
    started = await startEmulatorEnvironment(emulatorOptions);
  });
  afterEach(() => {
    started?.faults.clear();
    started?.logic.pagingFaults.clear();
  });
  afterAll(async () => {
    const failures: unknown[] = [];
    for (const work of beforeStop) await work().catch((error: unknown) => failures.push(error));
    process.env = environmentBefore;
    await started?.stop().catch((error: unknown) => failures.push(error));
    if (failures.length > 1)
      throw new Error(
        failures.map((failure) => (failure instanceof Error ? (failure.stack ?? failure.message) : String(failure))).join('\n\n'),
      );
    if (failures.length === 1) throw failures[0];
  });
  return emulator;
}

/**
 * Runs `work` in the file's afterAll, in the order registered, while the emulator (from
 * `useEmulator`) still answers: closing what talks to it, or a last check of what it saw. One
 * afterAll for both keeps the order: jest would run a second afterAll after the emulator stopped.
 */
export function beforeEmulatorStops(emulator: AzureEmulator, work: () => Promise<unknown>): void {
  const beforeStop = workBeforeStop.get(emulator);
  if (!beforeStop) throw new Error('Pass the emulator that useEmulator() returned.');
  beforeStop.push(work);
}

/**
 * Starts the emulator and points this jest worker's environment at it, the way app settings point
 * a function app at Azure. The suite runs under `withEmulatorCa`, so NODE_EXTRA_CA_CERTS already
 * makes every client trust the emulator's certificate.
 */
async function startEmulatorEnvironment(options: EmulatorOptions): Promise<AzureEmulator> {
  if (!process.env.NODE_EXTRA_CA_CERTS) {
    throw new Error('Run the suite with `npm test` (it sets NODE_EXTRA_CA_CERTS to the emulator CA).');
  }
  const emulator = withConformanceCheck(await startEmulator({ recordExchanges: true, ...options }));
  Object.assign(process.env, emulator.environment());
  return emulator;
}

export interface TargetSpec {
  readonly workflowId: string;
  readonly trigger?: string;
  readonly secretName?: string;
  readonly intervalDays?: number;
  readonly adopt?: boolean;
}

export function settingsFor(emulator: AzureEmulator, targets: readonly TargetSpec[], extra: Record<string, string> = {}): RotatorSettings {
  return loadSettings({ ...emulator.environment(), ROTATION_TARGETS: JSON.stringify(targets), ...extra });
}

let workflowCounter = 0;
/** A fresh HTTP-triggered workflow (unique name, so tests in one file do not share state). */
export function addRequestWorkflow(emulator: AzureEmulator, prefix = 'wf', triggers?: Record<string, 'Request' | 'Recurrence'>): string {
  workflowCounter += 1;
  return emulator.logic.addWorkflow({
    subscriptionId,
    resourceGroup,
    name: `${prefix}-${workflowCounter}`,
    ...(triggers ? { triggers } : {}),
  });
}

/**
 * Subscription IDs, a new one per call (`<prefix>-0000-4000-8000-<n>`, `prefix` 8 hex digits): a
 * subscription of its own per test, so that discovery sees only what the test seeded.
 */
export function subscriptionSequence(prefix: string): () => string {
  let count = 0;
  return () => `${prefix}-0000-4000-8000-${String(++count).padStart(12, '0')}`;
}

let nameCounter = 0;
/** `prefix-N`, N counting up per test file: names of sites, secrets and invocations that tests do not share. */
export function uniqueName(prefix: string): string {
  nameCounter += 1;
  return `${prefix}-${nameCounter}`;
}

/** The versions of a workflow's [Primary, Secondary] keys: what was regenerated, and how often. */
export function keyVersionsOf(emulator: AzureEmulator, workflowId: string): [number, number] {
  return [emulator.logic.keyVersionOf(workflowId, 'Primary'), emulator.logic.keyVersionOf(workflowId, 'Secondary')];
}

/** `sig` of a callback URL, for asserting it never leaks. */
export function sigOf(url: string): string {
  return new URL(url).searchParams.get('sig') ?? '';
}
