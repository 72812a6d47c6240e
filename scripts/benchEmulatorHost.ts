/**
 * The emulator in a process of its own, for `npm run bench`: so that the rotator's peak RSS is
 * measured without the emulator's state (workflows, secret versions, request records) in the same
 * heap. Talks to its parent over IPC: it seeds the estate, answers with the environment and the
 * targets, and reports request statistics when asked.
 */
import { startEmulator, type EmulatorOptions } from '../emulator/index';

interface SeedRequest {
  readonly kind: 'seed';
  readonly options: EmulatorOptions;
  readonly targets: number;
  readonly subscriptions: number;
  readonly prefix: string;
}

async function main(): Promise<void> {
  const request = await new Promise<SeedRequest>((resolve) => process.once('message', (message) => resolve(message as SeedRequest)));
  const emulator = await startEmulator(request.options);
  const targets = Array.from({ length: request.targets }, (_, i) => {
    const name = `${request.prefix}-${i}`;
    const subscriptionId = `${(0x10000000 + (i % request.subscriptions)).toString(16)}-0000-4000-8000-000000000000`;
    return { workflowId: emulator.logic.addWorkflow({ subscriptionId, resourceGroup: 'rg-bench', name }), secretName: `${name}-url` };
  });
  process.send?.({ kind: 'ready', environment: emulator.environment(), targets });
  process.on('message', (message: { kind: string }) => {
    if (message.kind === 'stats') {
      process.send?.({
        kind: 'stats',
        throttled429: emulator.requests.filter((r) => r.status === 429).length,
        requests: emulator.requests.length,
      });
    }
  });
  process.once('disconnect', () => {
    void emulator.stop().then(() => process.exit(0));
  });
}

void main();
