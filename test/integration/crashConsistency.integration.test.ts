import { startBuiltCli } from '../support/cliProcess';
import { addRequestWorkflow, useEmulator } from '../support/emulatorEnvironment';
import { expectNoIssuedSecrets, ProducedOutput } from '../support/expectNoIssuedSecrets';

const emulator = useEmulator();
const produced = new ProducedOutput();

function startCli(args: string[], targets: string) {
  return startBuiltCli(args, { ...process.env, ...emulator.environment(), ROTATION_TARGETS: targets }, { output: produced });
}

/** Resolves once the emulator has processed (and recorded) a request of this operation. */
function processed(operationId: string): Promise<void> {
  return new Promise((resolve) => {
    const stop = emulator.onRequest((record) => {
      if (record.operationId === operationId) {
        stop();
        resolve();
      }
    });
  });
}

const protocolRequests = [
  { request: 'the Key Vault read', operationId: 'GetSecret', skip: 0 },
  { request: 'the first listCallbackUrl', operationId: 'WorkflowTriggers_ListCallbackUrl', skip: 0 },
  { request: 'regenerateAccessKey', operationId: 'Workflows_RegenerateAccessKey', skip: 0 },
  { request: 'the second listCallbackUrl', operationId: 'WorkflowTriggers_ListCallbackUrl', skip: 1 },
  { request: 'the Key Vault write', operationId: 'SetSecret', skip: 0 },
  { request: 'the telemetry export', operationId: 'Track', skip: 0 },
];

describe('crash consistency: the rotation process is SIGKILLed while the emulator holds each request in turn', () => {
  it.each(protocolRequests)(
    'killed during $request: the published URL works at every moment and the next run completes',
    async ({ operationId, skip }) => {
      const workflowId = addRequestWorkflow(emulator, 'crash');
      const secretName = `crash-${operationId.toLowerCase().replace(/[^a-z0-9]/g, '-')}-${skip}`;
      const targets = JSON.stringify([{ workflowId, secretName }]);
      const first = await startCli(['rotate'], targets).exited;
      expect(first.status).toBe(0);

      const violations: string[] = [];
      const checkInvariant = (when: string) => {
        const latest = emulator.keyVault.latest(secretName);
        if (!latest || !emulator.logic.isCallbackUrlValid(latest.value)) violations.push(when);
      };
      const stopChecking = emulator.onRequest((record) => checkInvariant(`after ${record.operationId} (${record.status})`));
      try {
        emulator.faults.add({ operationId, skip, hold: true });
        const { child, exited } = startCli(['rotate', '--force'], targets);
        const held = await emulator.faults.nextHeld();
        checkInvariant(`while ${operationId} is held`);
        child.kill('SIGKILL');
        expect((await exited).signal).toBe('SIGKILL');
        // Azure finishes a request it has received even when the caller is gone; so does the emulator.
        const handled = processed(operationId);
        held.release();
        await handled;
        checkInvariant(`after the killed run's ${operationId} was processed`);

        const next = await startCli(['rotate', '--force', '--json'], targets).exited;
        expect(next.status).toBe(0);
        expect(JSON.parse(next.stdout).targets[0]).toMatchObject({ action: 'rotated' });
        checkInvariant('after the next run');
      } finally {
        stopChecking();
      }
      expect(violations).toEqual([]);
    },
  );

  it('leaked no sig or token into the output of the killed and recovering processes', () => {
    expectNoIssuedSecrets(produced.texts, emulator);
  });
});
