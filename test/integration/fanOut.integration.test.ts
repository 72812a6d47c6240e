import { QueueClient } from '@azure/storage-queue';
import { targetQueueName } from '../../src/azure/storage/TargetQueue';
import { armForbidden } from '../support/armFaults';
import { startAzurite, type Azurite } from '../support/azurite';
import { addRequestWorkflow, useEmulator } from '../support/emulatorEnvironment';
import { closeFunctionHandlerServices, functionInvocation, timerTrigger } from '../support/functionInvocation';

/**
 * Queue fan-out, end to end against Azurite (blob + queue) and the emulator: the timer queues one
 * message per target, and the queue-triggered function rotates each. The Functions host is not
 * available here, so the test plays its part: receive, invoke with the dequeue count, delete on
 * success, let the message come back after its visibility timeout on failure.
 */
const emulator = useEmulator({ callsFunctionHandlers: true });
let azurite: Azurite;

beforeAll(async () => {
  azurite = await startAzurite({ queue: true });
  process.env.AzureWebJobsStorage = azurite.connectionString;
  process.env.ROTATION_MODE = 'fanout';
});
// Runs after the emulator's clean-up, which closes the services that use Azurite.
afterAll(async () => {
  await azurite?.stop();
});

const timer = timerTrigger();
const context = (invocationId: string, dequeueCount?: number) => functionInvocation(invocationId, { dequeueCount }).context;

/** Plays the Functions host's queue listener until the queue is empty. */
async function drain(queue: QueueClient): Promise<Map<string, number>> {
  const { rotateSasKeyFromQueue } = await import('../../src/functions/rotateSasKeyFromQueue');
  const attempts = new Map<string, number>();
  for (let idle = 0; idle < 20;) {
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 1 });
    if (receivedMessageItems.length === 0) {
      const { approximateMessagesCount } = await queue.getProperties();
      if (!approximateMessagesCount) break;
      idle += 1;
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    for (const item of receivedMessageItems) {
      const text = Buffer.from(item.messageText, 'base64').toString('utf8');
      const workflowId = (JSON.parse(text) as { target: { workflowId: string } }).target.workflowId;
      attempts.set(workflowId, item.dequeueCount);
      try {
        await rotateSasKeyFromQueue(JSON.parse(text), context(`queue-${item.messageId}-${item.dequeueCount}`, item.dequeueCount));
        await queue.deleteMessage(item.messageId, item.popReceipt);
      } catch {
        // The host would leave it to reappear after the visibility timeout; so do we.
      }
    }
  }
  return attempts;
}

describe('queue fan-out for large estates', () => {
  it('queues one message per target and rotates each from the queue; a broken target is retried, then recorded once and dropped', async () => {
    const good = [addRequestWorkflow(emulator, 'fanout'), addRequestWorkflow(emulator, 'fanout')];
    const broken = addRequestWorkflow(emulator, 'fanout-timer', { Recurrence: 'Recurrence' });
    process.env.ROTATION_TARGETS = JSON.stringify([
      { workflowId: good[0], secretName: 'fanout-a' },
      { workflowId: good[1], secretName: 'fanout-b' },
      { workflowId: broken, trigger: 'Recurrence', secretName: 'fanout-broken' },
    ]);
    const { rotateSasKeys } = await import('../../src/functions/rotateSasKeys');
    emulator.appInsights.clear();

    const run = await rotateSasKeys(timer, context('fanout-timer-run'));

    expect(run).toMatchObject({ outcome: 'Succeeded', targets: [] });
    expect(emulator.requests.filter((r) => r.operationId === 'Workflows_RegenerateAccessKey')).toHaveLength(0);
    const queue = new QueueClient(azurite.connectionString, targetQueueName);
    expect((await queue.getProperties()).approximateMessagesCount).toBe(3);

    const attempts = await drain(queue);

    for (const [index, workflowId] of good.entries()) {
      expect(attempts.get(workflowId)).toBe(1);
      expect(emulator.logic.isCallbackUrlValid(emulator.keyVault.latest(index === 0 ? 'fanout-a' : 'fanout-b')?.value as string)).toBe(
        true,
      );
    }
    expect(attempts.get(broken)).toBe(5);
    const failures = emulator.appInsights.envelopes.filter(
      (e) => JSON.stringify(e).includes('SasKeyRotationFailed') && JSON.stringify(e).includes(broken),
    );
    expect(failures).toHaveLength(1);
    expect((await queue.getProperties()).approximateMessagesCount).toBe(0);
  }, 60_000);

  it('keeps the per-target lease: a message for a target another run holds is skipped, not retried', async () => {
    const workflowId = addRequestWorkflow(emulator, 'fanout-leased');
    process.env.ROTATION_TARGETS = JSON.stringify([{ workflowId, secretName: 'fanout-leased' }]);
    const { servicesFor } = await import('../../src/composition/processServices');
    const { loadSettings } = await import('../../src/composition/config');
    const services = servicesFor(loadSettings(process.env));
    const other = await services.leases?.tryAcquire({
      workflowId,
      host: 'consumption',
      trigger: 'manual',
      secretName: 'fanout-leased',
      intervalDays: 30,
      adopt: false,
    });
    const { rotateSasKeyFromQueue } = await import('../../src/functions/rotateSasKeyFromQueue');

    const result = await rotateSasKeyFromQueue(
      { target: { workflowId, secretName: 'fanout-leased' }, invocationId: 'leased', force: false },
      context('leased-1', 1),
    );

    expect(other).toBeDefined();
    expect(result).toMatchObject({ action: 'skipped', skipped: { code: 'LeaseHeld' } });
    await other?.release();
  });

  it('takes the secret name and adopt from the configuration, never from the message', async () => {
    const workflowId = addRequestWorkflow(emulator, 'fanout-forged');
    process.env.ROTATION_TARGETS = JSON.stringify([{ workflowId, secretName: 'fanout-configured' }]);
    emulator.keyVault.seed('someone-elses-secret', 'https://example.com/not-ours', { tags: { owner: 'team-z' } });
    const { rotateSasKeyFromQueue } = await import('../../src/functions/rotateSasKeyFromQueue');

    const result = await rotateSasKeyFromQueue(
      { target: { workflowId, secretName: 'someone-elses-secret', adopt: true }, invocationId: 'forged', force: true },
      context('forged-1', 1),
    );

    expect(result).toMatchObject({ action: 'rotated', secretName: 'fanout-configured', reason: 'first' });
    expect(emulator.keyVault.versions('someone-elses-secret')).toHaveLength(1);
  });

  it('a fan-out run whose discovery was incomplete is not a success, and says what it could not see', async () => {
    const workflowId = addRequestWorkflow(emulator, 'fanout-listed');
    const subscription = '5ca1ab1e-0000-4000-8000-f00000000001';
    process.env.ROTATION_TARGETS = JSON.stringify([{ workflowId, secretName: 'fanout-listed' }]);
    process.env.ROTATION_DISCOVERY = `/subscriptions/${subscription}`;
    emulator.faults.add(armForbidden('Workflows_ListBySubscription', subscription));
    const { rotateSasKeys } = await import('../../src/functions/rotateSasKeys');
    emulator.appInsights.clear();
    try {
      const run = await rotateSasKeys(timer, context('fanout-incomplete'));
      await closeFunctionHandlerServices();

      expect(run.outcome).toBe('PartiallyFailed');
      const names = emulator.appInsights.envelopes.map((e) => [
        e.data?.baseData?.name,
        e.data?.baseData?.properties?.outcome ?? e.data?.baseData?.properties?.errorCode,
      ]);
      expect(names).toEqual(
        expect.arrayContaining([
          ['SasKeyDiscoveryFailed', 'AuthorizationFailed'],
          ['SasKeyRotationRun', 'PartiallyFailed'],
        ]),
      );
    } finally {
      delete process.env.ROTATION_DISCOVERY;
      emulator.faults.clear();
      await drain(new QueueClient(azurite.connectionString, targetQueueName));
    }
  });

  it('a target the timer could not queue is a SasKeyRotationFailed at step enqueue, and the run failed', async () => {
    const workflowId = addRequestWorkflow(emulator, 'fanout-unqueued');
    process.env.ROTATION_TARGETS = JSON.stringify([{ workflowId, secretName: 'fanout-unqueued' }]);
    await closeFunctionHandlerServices();
    // A storage key that the account refuses: every send fails with 403.
    process.env.AzureWebJobsStorage = azurite.connectionString.replace(
      /AccountKey=[^;]+/,
      `AccountKey=${Buffer.alloc(64, 7).toString('base64')}`,
    );
    const { rotateSasKeys } = await import('../../src/functions/rotateSasKeys');
    emulator.appInsights.clear();
    try {
      const run = await rotateSasKeys(timer, context('fanout-unqueued'));
      await closeFunctionHandlerServices();

      expect(run).toMatchObject({
        outcome: 'Failed',
        targets: [{ workflowId, action: 'failed', error: { step: 'enqueue', statusCode: 403 } }],
      });
      const failed = emulator.appInsights.envelopes.find((e) => e.data?.baseData?.name === 'SasKeyRotationFailed')?.data?.baseData
        ?.properties;
      expect(failed).toMatchObject({ workflowId, step: 'enqueue', statusCode: '403', invocationId: 'fanout-unqueued' });
      expect(failed?.errorCode).not.toBe('');
    } finally {
      process.env.AzureWebJobsStorage = azurite.connectionString;
      await closeFunctionHandlerServices();
    }
  });

  it('drops a malformed message with one recorded failure instead of retrying it', async () => {
    const { rotateSasKeyFromQueue } = await import('../../src/functions/rotateSasKeyFromQueue');
    emulator.appInsights.clear();

    const result = await rotateSasKeyFromQueue({ target: { workflowId: '/subscriptions/nope' } }, context('malformed', 1));
    await closeFunctionHandlerServices();

    expect(result).toBeUndefined();
    expect(emulator.appInsights.envelopes.some((e) => JSON.stringify(e).includes('InvalidQueueMessage'))).toBe(true);
  });
});
