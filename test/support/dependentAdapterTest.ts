import { DefaultAzureCredential } from '@azure/identity';
import type { AzureEmulator } from '../../emulator/index';
import type { ArmConnection } from '../../src/azure/core/armClients';
import { parseCallbackUrl, type CallbackUrl } from '../../src/rotation/CallbackUrl';
import { parseDependent, type Dependent, type DependentKind } from '../../src/rotation/Dependent';
import type { RotationTarget } from '../../src/rotation/RotationTarget';
import { useEmulator } from './emulatorEnvironment';
import { fastRetry } from './fastRetry';

/**
 * What the integration tests of a dependent adapter (action groups, event subscriptions) share: the emulator and
 * the connection to its ARM, the target and trigger URLs of a workflow, a dependent of the adapter's kind, and the
 * rejections they collect, whose messages are checked after the file: nothing the adapter said may carry a sig or a URL.
 */
export interface DependentAdapterTest {
  readonly emulator: AzureEmulator;
  /** The emulator's ARM with the DefaultAzureCredential and the short retry waits. */
  connection(): ArmConnection;
  targetOf(workflowId: string): RotationTarget;
  /** The `manual` trigger's current URL signed with the key. */
  urlOf(workflowId: string, keyType: 'Primary' | 'Secondary'): CallbackUrl;
  /** The resource ID as a dependent, expected to be of the adapter's kind. */
  dependentOf(resourceId: string): Dependent;
  /** What the promise rejects with; its message is kept for the check after the file. */
  rejection(promise: Promise<unknown>): Promise<unknown>;
}

export function useDependentAdapterTest(kind: DependentKind): DependentAdapterTest {
  const emulator = useEmulator();
  const messages: string[] = [];

  afterAll(() => {
    const { sigs } = emulator.issuedSecrets();
    const text = messages.join('\n');
    expect(messages.length).toBeGreaterThan(3);
    expect(sigs.filter((sig) => text.includes(sig) || text.includes(encodeURIComponent(sig)))).toEqual([]);
    expect(text).not.toMatch(/https?:\/\/127\.0\.0\.1/);
  });

  return {
    emulator,
    connection: () => ({ credential: new DefaultAzureCredential(), resourceManagerEndpoint: emulator.armEndpoint, retry: fastRetry }),
    targetOf: (workflowId) => ({
      workflowId,
      host: 'consumption',
      trigger: 'manual',
      secretName: 'unused',
      intervalDays: 30,
      adopt: false,
    }),
    urlOf: (workflowId, keyType) => parseCallbackUrl(emulator.logic.currentCallbackUrl(workflowId, 'manual', keyType)) as CallbackUrl,
    dependentOf(resourceId) {
      const dependent = parseDependent(resourceId);
      expect(dependent?.kind).toBe(kind);
      return dependent as Dependent;
    },
    async rejection(promise) {
      try {
        await promise;
      } catch (error) {
        messages.push(error instanceof Error ? error.message : String(error));
        return error;
      }
      throw new Error('expected a rejection');
    },
  };
}
