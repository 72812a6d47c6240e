import { parseCallbackUrl } from '../../src/rotation/CallbackUrl';
import { QueueClient } from '@azure/storage-queue';
import { targetQueueName } from '../../src/azure/storage/TargetQueue';
import { armForbidden } from '../support/armFaults';
import { startAzurite, type Azurite } from '../support/azurite';
import { resourceGroupId, rotationEnabledTags, standardResourceGroup, subscriptionId as testSubscription } from '../support/constants';
import {
  addRequestWorkflow,
  addSiteWorkflow,
  addTaggedWorkflow,
  subscriptionSequence,
  uniqueName,
  useEmulator,
} from '../support/emulatorEnvironment';
import { closeFunctionHandlerServices, freshQueueWorker, functionInvocation, timerTrigger } from '../support/functionInvocation';

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

/**
 * One discovery per run (issue 15): the timer discovers, and a worker confirms its message's discovered
 * target from that one resource, as it is now — no listing, at most two GETs — and never from the message.
 */
describe('fan-out: a worker confirms a discovered target without a discovery', () => {
  const newSubscription = subscriptionSequence('f1e5c0de');
  const armRequests = (since: number) => emulator.requests.slice(since).filter((r) => r.service === 'arm');
  const listings = (since: number) =>
    armRequests(since).filter((r) => /_List(By\w+|Workflows)?$/.test(r.operationId) && !/Callback/.test(r.operationId));
  const gets = (since: number) => armRequests(since).filter((r) => /_Get(Workflow)?$/.test(r.operationId));
  const storedTags = (id: string) => {
    const [, subscription, group] = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\//.exec(id) ?? [];
    const workflow = emulator.logic.list(subscription ?? '', group).find((w) => w.id === id);
    return workflow?.tags as Record<string, string>;
  };
  afterEach(() => {
    delete process.env.ROTATION_DISCOVERY;
    emulator.faults.clear();
  });

  it('timer then workers, Consumption and Standard: the run lists once; each worker lists nothing and sends one GET', async () => {
    const subscription = newSubscription();
    const consumption = [0, 1, 2].map((i) => addTaggedWorkflow(emulator, subscription, 'rg-one', `one-discovery-${i}`));
    const standard = addSiteWorkflow(emulator, 'one-discovery-site', 'onediscoverystd', { siteTags: { ...rotationEnabledTags } });
    process.env.ROTATION_TARGETS = '[]';
    process.env.ROTATION_DISCOVERY = `/subscriptions/${subscription},/subscriptions/${testSubscription}/resourceGroups/${standardResourceGroup}`;
    const { rotateSasKeys } = await import('../../src/functions/rotateSasKeys');
    const queue = new QueueClient(azurite.connectionString, targetQueueName);
    const beforeTimer = emulator.requests.length;

    const run = await rotateSasKeys(timer, context('one-discovery-timer'));
    const timerListings = listings(beforeTimer).length;
    const { rotateSasKeyFromQueue } = await import('../../src/functions/rotateSasKeyFromQueue');
    const perMessage: Array<{ workflowId: string; listings: number; gets: string[]; action?: string }> = [];
    for (;;) {
      const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32 });
      if (receivedMessageItems.length === 0) break;
      for (const item of receivedMessageItems) {
        const message = JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')) as { target: { workflowId: string } };
        const before = emulator.requests.length;
        // Only the confirmation: the rotation's own requests (listCallbackUrl, regenerate) are not discovery.
        const result = await rotateSasKeyFromQueue(message, context(`one-discovery-${item.messageId}`, 1));
        perMessage.push({
          workflowId: message.target.workflowId,
          listings: listings(before).length,
          gets: gets(before).map((r) => r.operationId),
          action: result?.action,
        });
        await queue.deleteMessage(item.messageId, item.popReceipt);
      }
    }

    expect(run.outcome).toBe('Succeeded');
    expect(timerListings).toBeGreaterThan(0);
    expect(perMessage.map((m) => m.workflowId).sort()).toEqual([...consumption, standard].sort());
    for (const message of perMessage) {
      expect(message).toMatchObject({ listings: 0, action: 'rotated' });
      expect(message.gets.length).toBeLessThanOrEqual(1);
    }
    expect(perMessage.find((m) => m.workflowId === standard)?.gets).toEqual(['WebApps_Get']);
    expect(perMessage.find((m) => m.workflowId === consumption[0])?.gets).toEqual(['Workflows_Get']);
  }, 60_000);

  it('a tag removed after queuing: the message is rejected (InvalidQueueMessage), nothing rotated', async () => {
    const subscription = newSubscription();
    const workflowId = addTaggedWorkflow(emulator, subscription, 'rg-untag', 'untagged-after');
    process.env.ROTATION_TARGETS = '[]';
    process.env.ROTATION_DISCOVERY = `/subscriptions/${subscription}`;
    delete storedTags(workflowId)['sas-rotation'];
    const { rotateSasKeyFromQueue } = await import('../../src/functions/rotateSasKeyFromQueue');
    emulator.appInsights.clear();

    const result = await rotateSasKeyFromQueue({ target: { workflowId }, invocationId: 'untag-run' }, context('untag-1', 1));
    await closeFunctionHandlerServices();

    expect(result).toBeUndefined();
    expect(emulator.keyVault.latest('untagged-after-manual-url')).toBeUndefined();
    expect(emulator.appInsights.envelopes.some((e) => JSON.stringify(e).includes('InvalidQueueMessage'))).toBe(true);
  });

  it('a secret tag changed after queuing: the current tag wins over the name the timer queued', async () => {
    const subscription = newSubscription();
    const workflowId = addTaggedWorkflow(emulator, subscription, 'rg-retag', 'retagged');
    process.env.ROTATION_TARGETS = '[]';
    process.env.ROTATION_DISCOVERY = `/subscriptions/${subscription}`;
    storedTags(workflowId)['sas-rotation-secret'] = 'retagged-now';
    const { rotateSasKeyFromQueue } = await import('../../src/functions/rotateSasKeyFromQueue');

    const result = await rotateSasKeyFromQueue(
      { target: { workflowId, secretName: 'retagged-manual-url' }, invocationId: 'retag-run' },
      context('retag-1', 1),
    );

    expect(result).toMatchObject({ action: 'rotated', secretName: 'retagged-now' });
    expect(emulator.keyVault.latest('retagged-manual-url')).toBeUndefined();
  });

  it('a message for a tagged workflow outside every ROTATION_DISCOVERY scope is rejected without a request to ARM', async () => {
    const outside = newSubscription();
    const workflowId = addTaggedWorkflow(emulator, outside, 'rg-outside', 'outside-scope');
    process.env.ROTATION_TARGETS = '[]';
    process.env.ROTATION_DISCOVERY = `/subscriptions/${newSubscription()}`;
    const { rotateSasKeyFromQueue } = await import('../../src/functions/rotateSasKeyFromQueue');
    const before = emulator.requests.length;

    const result = await rotateSasKeyFromQueue({ target: { workflowId }, invocationId: 'outside-run' }, context('outside-1', 1));

    expect(result).toBeUndefined();
    expect(armRequests(before)).toEqual([]);
    expect(emulator.keyVault.latest('outside-scope-manual-url')).toBeUndefined();
  });

  it("a discovered workflow whose tags name a listed target's secret is rejected, and the listed secret is untouched", async () => {
    const subscription = newSubscription();
    const listed = addRequestWorkflow(emulator, 'one-discovery-listed');
    const tagged = addTaggedWorkflow(emulator, subscription, 'rg-collide', 'collides');
    storedTags(tagged)['sas-rotation-secret'] = 'one-discovery-listed-secret';
    process.env.ROTATION_TARGETS = JSON.stringify([{ workflowId: listed, secretName: 'one-discovery-listed-secret' }]);
    process.env.ROTATION_DISCOVERY = `/subscriptions/${subscription}`;
    const { rotateSasKeyFromQueue } = await import('../../src/functions/rotateSasKeyFromQueue');

    const result = await rotateSasKeyFromQueue({ target: { workflowId: tagged }, invocationId: 'collide-run' }, context('collide-1', 1));

    expect(result).toBeUndefined();
    expect(emulator.keyVault.versions('one-discovery-listed-secret')).toHaveLength(0);
  });

  it("a forged message for a collision's loser cannot take the secret its owner published (the secret's workflowId tag)", async () => {
    const subscription = newSubscription();
    const owner = addTaggedWorkflow(emulator, subscription, 'rg-b', 'same-name');
    const loser = addTaggedWorkflow(emulator, subscription, 'rg-a', 'same-name');
    process.env.ROTATION_TARGETS = '[]';
    process.env.ROTATION_DISCOVERY = `/subscriptions/${subscription}`;
    const { rotateSasKeyFromQueue } = await import('../../src/functions/rotateSasKeyFromQueue');
    await expect(rotateSasKeyFromQueue({ target: { workflowId: owner } }, context('owner-1', 1))).resolves.toMatchObject({
      action: 'rotated',
      secretName: 'same-name-manual-url',
    });

    const result = await rotateSasKeyFromQueue(
      { target: { workflowId: loser, secretName: 'same-name-manual-url' }, invocationId: 'forged' },
      context('loser-last', 5),
    );

    expect(result).toMatchObject({ action: 'failed', error: { code: 'UnusableSecret' } });
    expect(emulator.keyVault.versions('same-name-manual-url')).toHaveLength(1);
    expect(emulator.keyVault.latest('same-name-manual-url')?.tags.workflowId).toBe(owner);
  });
});

/**
 * Fan-out over a management-group scope (issue 15): a worker learns which subscriptions a configured group
 * holds with one Resource Graph query per group, kept by its process for a few minutes, and then confirms its
 * target exactly as for a subscription scope — one ARM GET, never a listing, never the message's word.
 */
describe('fan-out: a worker confirms a target only a management-group scope covers', () => {
  const newSubscription = subscriptionSequence('f1e56a0e');
  const requestsOf = (operationId: string, since: number) => emulator.requests.slice(since).filter((r) => r.operationId === operationId);
  const listings = (since: number) =>
    emulator.requests
      .slice(since)
      .filter((r) => r.service === 'arm' && /_List(By\w+|Workflows)?$/.test(r.operationId) && !/Callback/.test(r.operationId));
  /** A management group of two subscriptions, configured as the only discovery scope. */
  const discoverManagementGroup = () => {
    const group = uniqueName('mg-fanout');
    const subscriptions = [newSubscription(), newSubscription()];
    emulator.resourceGraph.addManagementGroup(group, subscriptions);
    process.env.ROTATION_TARGETS = '[]';
    process.env.ROTATION_DISCOVERY = `/providers/Microsoft.Management/managementGroups/${group}`;
    return { group, subscriptions };
  };
  afterEach(() => {
    delete process.env.ROTATION_DISCOVERY;
    emulator.faults.clear();
  });

  it('timer then worker: the target is queued, confirmed and rotated on the first attempt', async () => {
    const { subscriptions } = discoverManagementGroup();
    const workflowId = addTaggedWorkflow(emulator, subscriptions[1] as string, 'rg-mg', 'mg-only');
    const { rotateSasKeys } = await import('../../src/functions/rotateSasKeys');

    const run = await rotateSasKeys(timer, context('mg-fanout-timer'));
    const attempts = await drain(new QueueClient(azurite.connectionString, targetQueueName));

    expect(run.outcome).toBe('Succeeded');
    expect(attempts.get(workflowId)).toBe(1);
    expect(emulator.logic.isCallbackUrlValid(emulator.keyVault.latest('mg-only-manual-url')?.value as string)).toBe(true);
  }, 60_000);

  it('16 concurrent messages on a cold worker: one Resource Graph query for the group, one GET per message, no listing', async () => {
    const { subscriptions } = discoverManagementGroup();
    const workflowIds = Array.from({ length: 16 }, (_, i) =>
      addTaggedWorkflow(emulator, subscriptions[i % 2] as string, 'rg-mg-cold', `mg-cold-${i}`),
    );
    const worker = freshQueueWorker();
    const before = emulator.requests.length;

    const results = await Promise.all(
      workflowIds.map((workflowId, i) => worker.rotateSasKeyFromQueue({ target: { workflowId } }, context(`mg-cold-${i}`, 1))),
    );

    expect(results.map((r) => r?.action)).toEqual(Array(16).fill('rotated'));
    expect(requestsOf('Resources', before)).toHaveLength(1);
    expect(requestsOf('Workflows_Get', before)).toHaveLength(16);
    expect(listings(before)).toEqual([]);
  }, 60_000);

  it('a tagged workflow in a subscription outside the group is not a target: rejected after the group query, without a GET', async () => {
    discoverManagementGroup();
    const workflowId = addTaggedWorkflow(emulator, newSubscription(), 'rg-mg-outside', 'mg-outside');
    const worker = freshQueueWorker();
    emulator.appInsights.clear();
    const before = emulator.requests.length;

    const result = await worker.rotateSasKeyFromQueue(
      { target: { workflowId }, invocationId: 'mg-outside-run' },
      context('mg-outside-1', 1),
    );
    await closeFunctionHandlerServices();

    expect(result).toBeUndefined();
    expect(requestsOf('Resources', before)).toHaveLength(1);
    expect(requestsOf('Workflows_Get', before)).toEqual([]);
    expect(emulator.keyVault.latest('mg-outside-manual-url')).toBeUndefined();
    expect(emulator.appInsights.envelopes.some((e) => JSON.stringify(e).includes('InvalidQueueMessage'))).toBe(true);
  });
});

/**
 * Adversarial review of issue 14 (dependents) in fan-out mode: the queue-triggered worker dropped
 * SasKeyDependentUpdateFailed on every attempt but the fifth, yet completed the message on the first
 * attempt when the target itself was rotated. Failed when written.
 */
describe('review 14: fan-out worker and dependents', () => {
  it('a dependent update that fails on the first attempt is recorded (SasKeyDependentUpdateFailed), or the message is retried', async () => {
    const workflowId = addRequestWorkflow(emulator, 'fanout-dependent');
    const portal = emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary');
    const namedValue = emulator.apiManagement.seedNamedValue(
      `${resourceGroupId}/providers/Microsoft.ApiManagement/service/apim-front/namedValues/${uniqueName('sig')}`,
      { value: parseCallbackUrl(portal)?.sig, secret: true, callsWorkflow: { workflowId, trigger: 'manual' } },
    );
    const secretName = uniqueName('fanout-dependent');
    process.env.ROTATION_TARGETS = JSON.stringify([{ workflowId, secretName, dependents: [namedValue] }]);
    emulator.faults.add({ operationId: 'NamedValue_Update', status: 403, errorCode: 'AuthorizationFailed', times: Infinity });
    emulator.appInsights.clear();
    const { rotateSasKeyFromQueue } = await import('../../src/functions/rotateSasKeyFromQueue');

    let threw = false;
    let result;
    try {
      result = await rotateSasKeyFromQueue(
        { target: { workflowId }, invocationId: 'fanout-dependent-run', force: false },
        functionInvocation('fanout-dependent-1', { dequeueCount: 1 }).context,
      );
    } catch {
      threw = true; // the host would retry the message
    }
    const { closeFunctionHandlerServices } = await import('../support/functionInvocation');
    await closeFunctionHandlerServices();

    expect(threw || result?.action).toBeTruthy();
    expect(result?.dependents?.[0]?.outcome ?? 'failed').toBe('failed');
    const recorded = emulator.appInsights.envelopes.filter((e) => JSON.stringify(e).includes('SasKeyDependentUpdateFailed'));
    expect(emulator.appInsights.envelopes.some((e) => JSON.stringify(e).includes('SasKeyRotated'))).toBe(true);
    // Either the failure is on record now, or the message comes back so that a later attempt records it.
    expect(threw || recorded.length === 1).toBe(true);
  }, 60_000);
});
