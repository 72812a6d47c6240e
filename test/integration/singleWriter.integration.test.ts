import { runRotation } from '../../src/rotation/runRotation';
import { startAzurite, type Azurite } from '../support/azurite';
import { startBuiltCli } from '../support/cliProcess';
import { addRequestWorkflow, settingsFor, useEmulator } from '../support/emulatorEnvironment';
import { functionInvocation, timerTrigger } from '../support/functionInvocation';
import { useRotationServices } from '../support/rotationServices';

/**
 * Single writer per target, end to end: the blob lease in the function app's storage account
 * (Azurite here) keeps two rotations of one target from ever running at once — timer overlap, two
 * instances, the CLI during a scheduled run. The loser skips the target; it does not fail.
 */
const emulator = useEmulator({ callsFunctionHandlers: true });
const rotationServices = useRotationServices(emulator);
let azurite: Azurite;

beforeAll(async () => {
  azurite = await startAzurite();
  process.env.AzureWebJobsStorage = azurite.connectionString;
});
// Runs after the emulator's clean-up, which closes the services that use Azurite.
afterAll(async () => {
  await azurite?.stop();
});

/** One instance of the function app: its own services, sharing the storage account's leases. */
function instance(targets: Parameters<typeof settingsFor>[1]) {
  const settings = settingsFor(emulator, targets, { AzureWebJobsStorage: azurite.connectionString });
  const services = rotationServices.create(settings, { env: { AzureWebJobsStorage: azurite.connectionString } });
  return { settings, services };
}

describe('single writer per target (blob lease on Azurite)', () => {
  it('two instances rotating the same target at once: one rotates, the other skips it, and only one key is regenerated', async () => {
    const workflowId = addRequestWorkflow(emulator, 'overlap');
    const a = instance([{ workflowId, secretName: 'overlap-url' }]);
    const b = instance([{ workflowId, secretName: 'overlap-url' }]);
    emulator.faults.add({ operationId: 'WorkflowTriggers_ListCallbackUrl', hold: true });

    const first = runRotation(a.settings.targets, a.services, { mode: 'rotate', invocationId: 'instance-a', concurrency: 1 });
    const held = await emulator.faults.nextHeld();
    const second = await runRotation(b.settings.targets, b.services, { mode: 'rotate', invocationId: 'instance-b', concurrency: 1 });
    held.release();

    expect(second.targets[0]).toMatchObject({ action: 'skipped', skipped: { code: 'LeaseHeld' } });
    expect(second.outcome).toBe('NothingDue');
    expect((await first).targets[0]).toMatchObject({ action: 'rotated', keyType: 'Secondary' });
    expect(emulator.logic.keyVersionOf(workflowId, 'Secondary') + emulator.logic.keyVersionOf(workflowId, 'Primary')).toBe(1);
  });

  it('overlapping timer invocations in one process: the second skips the target the first is rotating', async () => {
    const workflowId = addRequestWorkflow(emulator, 'timer-overlap');
    process.env.ROTATION_TARGETS = JSON.stringify([{ workflowId, secretName: 'timer-overlap-url' }]);
    const { rotateSasKeys } = await import('../../src/functions/rotateSasKeys');
    emulator.faults.add({ operationId: 'Workflows_RegenerateAccessKey', hold: true });

    const first = rotateSasKeys(timerTrigger(), functionInvocation('timer-1').context);
    const held = await emulator.faults.nextHeld();
    const second = await rotateSasKeys(timerTrigger(), functionInvocation('timer-2').context);
    held.release();

    expect(second.targets[0]).toMatchObject({ action: 'skipped', skipped: { code: 'LeaseHeld' } });
    expect((await first).targets[0]).toMatchObject({ action: 'rotated' });
  });

  it('the CLI during a scheduled run skips the target being rotated and exits 0; afterwards it can rotate it', async () => {
    const workflowId = addRequestWorkflow(emulator, 'cli-overlap');
    const scheduled = instance([{ workflowId, secretName: 'cli-overlap-url' }]);
    const targets = JSON.stringify([{ workflowId, secretName: 'cli-overlap-url' }]);
    emulator.faults.add({ operationId: 'SetSecret', hold: true });
    const run = runRotation(scheduled.settings.targets, scheduled.services, { mode: 'rotate', invocationId: 'scheduled', concurrency: 1 });
    const held = await emulator.faults.nextHeld();

    const during = await runCli(['rotate', '--force', '--json'], targets);
    held.release();
    await run;
    const after = await runCli(['rotate', '--force', '--json'], targets);

    expect(during.status).toBe(0);
    expect(JSON.parse(during.stdout).targets[0]).toMatchObject({ action: 'skipped', skipped: { code: 'LeaseHeld' } });
    expect(after.status).toBe(0);
    expect(JSON.parse(after.stdout).targets[0]).toMatchObject({ action: 'rotated', reason: 'forced', keyType: 'Primary' });
    expect(emulator.logic.isCallbackUrlValid(emulator.keyVault.latest('cli-overlap-url')?.value as string)).toBe(true);
  });

  it('different targets do not block each other', async () => {
    const one = addRequestWorkflow(emulator, 'parallel');
    const two = addRequestWorkflow(emulator, 'parallel');
    const a = instance([{ workflowId: one, secretName: 'parallel-one' }]);
    const b = instance([{ workflowId: two, secretName: 'parallel-two' }]);
    emulator.faults.add({ operationId: 'WorkflowTriggers_ListCallbackUrl', pathIncludes: one, hold: true });

    const first = runRotation(a.settings.targets, a.services, { mode: 'rotate', invocationId: 'one', concurrency: 1 });
    const held = await emulator.faults.nextHeld();
    const second = await runRotation(b.settings.targets, b.services, { mode: 'rotate', invocationId: 'two', concurrency: 1 });
    held.release();

    expect(second.targets[0]).toMatchObject({ action: 'rotated' });
    expect((await first).targets[0]).toMatchObject({ action: 'rotated' });
  });
});

function runCli(args: string[], targets: string) {
  return startBuiltCli(args, {
    ...process.env,
    ...emulator.environment(),
    ROTATION_TARGETS: targets,
    AzureWebJobsStorage: azurite.connectionString,
  }).exited;
}
