import { loadSettings, type RotatorSettings } from '../../src/composition/config';
import { startEmulator, type AzureEmulator, type EmulatorOptions } from '../../emulator/index';
import { trustsEmulatorCa } from '../../emulator/withEmulatorCa';
import { withConformanceCheck } from '../openapi/conformanceCheck';
import { resourceGroup, rotationEnabledTags, standardResourceGroup, subscriptionId } from './constants';
import { closeFunctionHandlerServices } from './functionInvocation';

export interface TestEmulatorOptions extends EmulatorOptions {
  /**
   * Record every exchange and check it against Microsoft's published specs when the emulator stops,
   * failing the file on a mismatch (test/openapi/conformanceCheck.ts). On by default. Off only for
   * the emulator's own fidelity tests (test/emulator): they send on purpose what no Azure client
   * sends (a body on listCallbackUrl, no api-version, a bad token, a malformed raw request) to see
   * the emulator refuse it as Azure does, and the check would rightly reject those exchanges.
   */
  readonly conformanceCheck?: boolean;
}

/**
 * What of this jest worker's environment points at the emulator while the file's tests run:
 * - `all`: `emulator.environment()`, as app settings point a function app at Azure (the product's
 *   settings, its credential, its telemetry);
 * - `managedIdentity`: IDENTITY_ENDPOINT and IDENTITY_HEADER only, so that @azure/identity's
 *   ManagedIdentityCredential (App Service source) gets its tokens from the emulator;
 * - `none`: nothing.
 */
export type EmulatorEnvironmentScope = 'all' | 'managedIdentity' | 'none';

export interface UseEmulatorOptions extends TestEmulatorOptions {
  /** `all` unless said otherwise; restored in afterAll. */
  readonly environment?: EmulatorEnvironmentScope;
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
 * The one way a test file gets the emulator, with jest hooks of its own. beforeAll starts it
 * (`startTestEmulator`) and points this jest worker's environment at it (`options.environment`).
 * After each test, it injects no faults any more. afterAll runs what was registered to run before it
 * stops (`beforeEmulatorStops`: closing the services of `useRotationServices`, say), restores the
 * environment, and stops it — which, unless `conformanceCheck` is false, checks every recorded
 * exchange against Microsoft's published specs and fails the file on a mismatch.
 *
 * What it returns stands for the started emulator: use it inside tests and hooks (called before the
 * file's own beforeAll, it is started when that runs). It is one object for the whole file, so
 * helpers can be handed it before the emulator exists.
 */
export function useEmulator(options: UseEmulatorOptions = {}): AzureEmulator {
  const { callsFunctionHandlers = false, environment = 'all', ...emulatorOptions } = options;
  let started: AzureEmulator | undefined;
  let restoreEnvironment: (() => void) | undefined;
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
    started = await startTestEmulator(emulatorOptions);
    restoreEnvironment = pointEnvironmentAt(started, environment);
  });
  afterEach(() => {
    started?.faults.clear();
    started?.logic.pagingFaults.clear();
  });
  afterAll(async () => {
    const failures: unknown[] = [];
    for (const work of beforeStop) await work().catch((error: unknown) => failures.push(error));
    restoreEnvironment?.();
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
 * Starts an emulator: what `useEmulator`'s beforeAll runs, and what a test calls where it needs one
 * outside those hooks (a second emulator with settings of its own, which the test then stops). It
 * leaves the environment alone; with the conformance check (the default), `stop()` checks what the
 * emulator recorded.
 *
 * Every test process must trust the emulator's certificate from its start: the suite runs under
 * `withEmulatorCa` (`npm test`), which sets NODE_EXTRA_CA_CERTS to the emulator CA, and Node reads
 * it only at process start. Without it, this fails at once rather than with TLS errors later.
 */
export async function startTestEmulator(options: TestEmulatorOptions = {}): Promise<AzureEmulator> {
  if (!(await trustsEmulatorCa())) {
    throw new Error(
      'Tests against the emulator need NODE_EXTRA_CA_CERTS set to the emulator CA at process start: run them with `npm test`, or as ' +
        '`npm run build && node dist/emulator/withEmulatorCa.js npx jest <paths>`.',
    );
  }
  const { conformanceCheck = true, ...emulatorOptions } = options;
  if (!conformanceCheck) return startEmulator(emulatorOptions);
  return withConformanceCheck(await startEmulator({ ...emulatorOptions, recordExchanges: true }));
}

/** Points this jest worker's environment at the emulator (see `EmulatorEnvironmentScope`); returns the undo. */
function pointEnvironmentAt(emulator: AzureEmulator, scope: EmulatorEnvironmentScope): () => void {
  if (scope === 'none') return () => undefined;
  const before = { ...process.env };
  Object.assign(
    process.env,
    scope === 'all' ? emulator.environment() : { IDENTITY_ENDPOINT: emulator.identityEndpoint, IDENTITY_HEADER: emulator.identityHeader },
  );
  return () => {
    for (const name of Object.keys(process.env)) if (!(name in before)) delete process.env[name];
    Object.assign(process.env, before);
  };
}

export interface TargetSpec {
  readonly workflowId: string;
  readonly trigger?: string;
  readonly secretName?: string;
  readonly intervalDays?: number;
  readonly adopt?: boolean;
  readonly dependents?: readonly string[];
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

/** A Consumption workflow tagged `sas-rotation: enabled`, for discovery to find; returns its ID. */
export function addTaggedWorkflow(emulator: AzureEmulator, subscription: string, group: string, name: string): string {
  return emulator.logic.addWorkflow({ subscriptionId: subscription, resourceGroup: group, name, tags: rotationEnabledTags });
}

/** A workflow of the Logic Apps Standard app `site` (created when new) in the tests' subscription and `rg-standard`. */
export function addSiteWorkflow(
  emulator: AzureEmulator,
  site: string,
  name: string,
  options: { readonly triggers?: Record<string, 'Request' | 'Recurrence'>; readonly siteTags?: Record<string, string> } = {},
): string {
  return emulator.logic.addStandardWorkflow({ subscriptionId, resourceGroup: standardResourceGroup, site, name, ...options });
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
