import { loadSettings, type RotatorSettings } from '../../src/composition/config';
import { startEmulator, type AzureEmulator, type EmulatorOptions } from '../../emulator/index';
import { withConformanceCheck } from '../openapi/conformanceCheck';

export const subscriptionId = '11111111-2222-4333-8444-555555555555';

/**
 * Starts the emulator and points this jest worker's environment at it, the way app settings point
 * a function app at Azure. The suite runs under `withEmulatorCa`, so NODE_EXTRA_CA_CERTS already
 * makes every client trust the emulator's certificate.
 */
export async function startEmulatorEnvironment(options: EmulatorOptions = {}): Promise<AzureEmulator> {
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
  return emulator.logic.addWorkflow({ subscriptionId, resourceGroup: 'rg-tests', name: `${prefix}-${workflowCounter}`, ...(triggers ? { triggers } : {}) });
}

/** `sig` of a callback URL, for asserting it never leaks. */
export function sigOf(url: string): string {
  return new URL(url).searchParams.get('sig') ?? '';
}
