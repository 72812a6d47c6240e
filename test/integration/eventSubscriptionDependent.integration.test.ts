import { callbackEndpoint } from '../../src/rotation/Dependent';
import { isRestError } from '@azure/core-rest-pipeline';
import { EventSubscriptionDependents } from '../../src/azure/eventGrid/EventSubscriptionDependents';
import { parseCallbackUrl, type CallbackUrl } from '../../src/rotation/CallbackUrl';
import { TargetRotationError } from '../../src/rotation/failures';
import { resourceGroup, standardResourceGroup, subscriptionId } from '../support/constants';
import { useDependentAdapterTest } from '../support/dependentAdapterTest';
import { addRequestWorkflow, uniqueName } from '../support/emulatorEnvironment';

/**
 * The event-subscription adapter with the real @azure/arm-eventgrid client against the emulator: GET then POST
 * getFullUrl to read, a long-running PATCH to update (polled until Event Grid's validation handshake is done), the
 * handshake failing for a Standard workflow or a dead URL, an operation that fails or never ends, faults on each call.
 */
const { emulator, connection, targetOf, urlOf, dependentOf, rejection } = useDependentAdapterTest('eventSubscription');
let gateway: EventSubscriptionDependents;

beforeAll(() => {
  gateway = new EventSubscriptionDependents(connection(), 20);
});

afterEach(() => emulator.eventGrid.resetUpdateBehaviour());

const scopes = {
  subscription: `/subscriptions/${subscriptionId}`,
  resourceGroup: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`,
  topic: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.EventGrid/topics/orders-topic`,
  storageAccount: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Storage/storageAccounts/ordersdrop`,
};

function eventSubscriptionIdIn(scope: string = scopes.resourceGroup): string {
  return `${scope}/providers/Microsoft.EventGrid/eventSubscriptions/${uniqueName('es')}`;
}

/** What an update must carry over from a WebHook: batching, AAD, and delivery attributes (a secret one among them). */
const carriedOver = {
  maxEventsPerBatch: 10,
  preferredBatchSizeInKilobytes: 128,
  azureActiveDirectoryTenantId: '72f988bf-0000-4000-8000-00000000e7a1',
  azureActiveDirectoryApplicationIdOrUri: 'api://orders-webhook',
  deliveryAttributeMappings: [
    { name: 'x-source', type: 'Static', properties: { value: 'sas-rotator-tests', isSecret: false } },
    { name: 'x-api-key', type: 'Static', properties: { value: 'delivery-secret', isSecret: true } },
    { name: 'x-order', type: 'Dynamic', properties: { sourceField: 'data.orderId' } },
  ],
};

/** A WebHook subscription to the workflow's Primary URL, with all of `carriedOver`. */
function seedSubscription(workflowId: string, scope?: string): string {
  return emulator.eventGrid.seedEventSubscription(eventSubscriptionIdIn(scope), {
    endpointUrl: urlOf(workflowId, 'Primary').value,
    ...carriedOver,
  });
}

function armRequestsSince(seen: number) {
  return emulator.requests.slice(seen).filter((request) => request.service === 'arm');
}

describe('reading an event subscription', () => {
  it.each(Object.entries(scopes))('on a %s: GET, then POST getFullUrl for the sig (GET shows no query)', async (_scope, scope) => {
    const workflowId = addRequestWorkflow(emulator, 'es-read');
    const id = seedSubscription(workflowId, scope);
    const seen = emulator.requests.length;

    await expect(gateway.read(dependentOf(id), targetOf(workflowId))).resolves.toEqual({
      form: 'url',
      sigs: [urlOf(workflowId, 'Primary').sig],
      endpoints: [callbackEndpoint(urlOf(workflowId, 'Primary').value)],
    });

    const calls = armRequestsSince(seen);
    expect(calls.map((request) => `${request.method} ${request.operationId} ${request.status}`)).toEqual([
      'GET EventSubscriptions_Get 200',
      'POST EventSubscriptions_GetFullUrl 200',
    ]);
    // The scope goes to the SDK without its leading slash: no `//subscriptions`.
    expect(calls.every((request) => request.path.startsWith('/subscriptions/'))).toBe(true);
    expect(emulator.eventGrid.urlWorks(id)).toBe(true);
  });

  it('DependentNotWebHook: a subscription that delivers elsewhere', async () => {
    const workflowId = addRequestWorkflow(emulator, 'es-queue');
    const id = emulator.eventGrid.seedEventSubscription(eventSubscriptionIdIn(), {
      destination: { endpointType: 'StorageQueue', properties: { resourceId: `${scopes.storageAccount}`, queueName: 'orders' } },
    });

    const error = await rejection(gateway.read(dependentOf(id), targetOf(workflowId)));
    expect((error as TargetRotationError).failure).toMatchObject({ step: 'dependents', code: 'DependentNotWebHook' });
    expect((error as Error).message).toContain(id);
    expect((error as Error).message).toContain('StorageQueue');
    const update = await rejection(gateway.update(dependentOf(id), targetOf(workflowId), urlOf(workflowId, 'Secondary')));
    expect((update as TargetRotationError).failure.code).toBe('DependentNotWebHook');
  });

  it('DependentValueUnrecognized: a WebHook whose URL carries no sig', async () => {
    const workflowId = addRequestWorkflow(emulator, 'es-plain');
    const id = emulator.eventGrid.seedEventSubscription(eventSubscriptionIdIn(), {
      endpointUrl: 'https://hooks.example.com/orders?code=abc',
    });

    const error = await rejection(gateway.read(dependentOf(id), targetOf(workflowId)));
    expect((error as TargetRotationError).failure).toMatchObject({ step: 'dependents', code: 'DependentValueUnrecognized' });
    expect((error as Error).message).toContain(id);
    expect((error as Error).message).not.toContain('hooks.example.com');
  });
});

describe('updating an event subscription', () => {
  it('PATCHes the destination and polls the operation until Event Grid validated the new URL; the rest of the WebHook is kept', async () => {
    const workflowId = addRequestWorkflow(emulator, 'es-update');
    const id = seedSubscription(workflowId, scopes.topic);
    const before = urlOf(workflowId, 'Primary');
    const after = urlOf(workflowId, 'Secondary');
    emulator.eventGrid.nextUpdate({ inProgressPolls: 2 });
    const seen = emulator.requests.length;

    await gateway.update(dependentOf(id), targetOf(workflowId), after);

    expect(armRequestsSince(seen).map((request) => `${request.method} ${request.operationId} ${request.status}`)).toEqual([
      'GET EventSubscriptions_Get 200',
      'POST EventSubscriptions_GetDeliveryAttributes 200',
      'PATCH EventSubscriptions_Update 201',
      'GET EventGrid_OperationsStatus 200',
      'GET EventGrid_OperationsStatus 200',
      'GET EventGrid_OperationsStatus 200',
      'GET EventSubscriptions_Get 200',
    ]);
    expect(emulator.eventGrid.endpointUrl(id) === after.value).toBe(true);
    expect(emulator.eventGrid.find(id)).toMatchObject({
      provisioningState: 'Succeeded',
      // All carried over; the delivery attributes whole, the secret one's value included: GET hides it, getDeliveryAttributes does not.
      destination: { endpointType: 'WebHook', ...carriedOver },
    });
    await expect(gateway.read(dependentOf(id), targetOf(workflowId))).resolves.toEqual({
      form: 'url',
      sigs: [after.sig],
      endpoints: [callbackEndpoint(after.value)],
    });

    emulator.logic.regenerateAccessKey(workflowId, 'Primary');
    expect(emulator.logic.isCallbackUrlValid(before.value)).toBe(false);
    expect(emulator.eventGrid.urlWorks(id)).toBe(true);
  });

  it("DependentUpdateFailed: Event Grid's handshake fails for a Logic Apps Standard workflow; the subscription keeps its URL", async () => {
    const workflowId = addRequestWorkflow(emulator, 'es-standard');
    const id = seedSubscription(workflowId);
    const standard = emulator.logic.addStandardWorkflow({
      subscriptionId,
      resourceGroup: standardResourceGroup,
      site: uniqueName('la-es'),
      name: 'intake',
    });
    const standardUrl = parseCallbackUrl(emulator.logic.currentCallbackUrl(standard, 'manual', 'Secondary')) as CallbackUrl;

    const error = await rejection(gateway.update(dependentOf(id), targetOf(standard), standardUrl));

    expect((error as TargetRotationError).failure).toMatchObject({ step: 'dependents', code: 'DependentUpdateFailed' });
    expect((error as Error).message).toContain(id);
    expect((error as Error).message).toContain('Url validation: Webhook validation handshake failed for <url>');
    expect(emulator.eventGrid.endpointUrl(id) === urlOf(workflowId, 'Primary').value).toBe(true);
    expect(emulator.eventGrid.find(id)?.provisioningState).toBe('Failed');
    expect(emulator.eventGrid.urlWorks(id)).toBe(true);
  });

  it('DependentUpdateFailed: a URL that does not work now fails the handshake too', async () => {
    const workflowId = addRequestWorkflow(emulator, 'es-dead');
    const id = seedSubscription(workflowId);
    const dead = urlOf(workflowId, 'Secondary');
    emulator.logic.regenerateAccessKey(workflowId, 'Secondary');

    const error = await rejection(gateway.update(dependentOf(id), targetOf(workflowId), dead));

    expect((error as TargetRotationError).failure.code).toBe('DependentUpdateFailed');
    expect(emulator.eventGrid.endpointUrl(id) === urlOf(workflowId, 'Primary').value).toBe(true);
  });

  it('DependentUpdateFailed: an operation that ends Failed for another reason keeps its code', async () => {
    const workflowId = addRequestWorkflow(emulator, 'es-failed');
    const id = seedSubscription(workflowId);
    emulator.eventGrid.nextUpdate({ outcome: 'failed' });

    const error = await rejection(gateway.update(dependentOf(id), targetOf(workflowId), urlOf(workflowId, 'Secondary')));

    expect((error as TargetRotationError).failure.code).toBe('DependentUpdateFailed');
    expect((error as Error).message).toContain('InternalServerError');
  });

  it('an operation that never completes is stopped by the abortSignal', async () => {
    const workflowId = addRequestWorkflow(emulator, 'es-stuck');
    const id = seedSubscription(workflowId);
    emulator.eventGrid.nextUpdate({ outcome: 'neverCompletes' });
    const started = Date.now();

    const error = await rejection(
      gateway.update(dependentOf(id), targetOf(workflowId), urlOf(workflowId, 'Secondary'), { abortSignal: AbortSignal.timeout(500) }),
    );

    expect((error as Error).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(emulator.requests.filter((request) => request.operationId === 'EventGrid_OperationsStatus').length).toBeGreaterThan(3);
    expect(emulator.eventGrid.find(id)?.provisioningState).toBe('Updating');
    expect(emulator.eventGrid.endpointUrl(id) === urlOf(workflowId, 'Primary').value).toBe(true);
  });
});

describe('faults on each call', () => {
  const reads = ['EventSubscriptions_Get', 'EventSubscriptions_GetFullUrl'];
  const updates = [
    'EventSubscriptions_Get',
    'EventSubscriptions_GetDeliveryAttributes',
    'EventSubscriptions_Update',
    'EventGrid_OperationsStatus',
  ];
  const run = async (operationId: string, workflowId: string, id: string) =>
    reads.includes(operationId) && !updates.includes(operationId)
      ? gateway.read(dependentOf(id), targetOf(workflowId))
      : gateway.update(dependentOf(id), targetOf(workflowId), urlOf(workflowId, 'Secondary'));

  it.each([...new Set([...reads, ...updates])].flatMap((operationId) => [429, 500, 503].map((status) => [operationId, status] as const)))(
    '%s failing once with %i is retried',
    async (operationId, status) => {
      const workflowId = addRequestWorkflow(emulator, 'es-retry');
      const id = seedSubscription(workflowId);
      emulator.faults.add({ operationId, status, ...(status === 429 ? { retryAfterSeconds: 0 } : {}) });

      await run(operationId, workflowId, id);

      expect(emulator.requests.some((request) => request.operationId === operationId && request.status === status)).toBe(true);
      expect(emulator.eventGrid.urlWorks(id)).toBe(true);
    },
  );

  it.each([...new Set([...reads, ...updates])].flatMap((operationId) => [403, 404].map((status) => [operationId, status] as const)))(
    '%s failing with %i passes the RestError through unchanged',
    async (operationId, status) => {
      const workflowId = addRequestWorkflow(emulator, 'es-refused');
      const id = seedSubscription(workflowId);
      const code = status === 403 ? 'AuthorizationFailed' : 'ResourceNotFound';
      emulator.faults.add({ operationId, status, errorCode: code, message: `injected ${code}` });

      const error = await rejection(run(operationId, workflowId, id));

      expect(isRestError(error)).toBe(true);
      expect(error).toMatchObject({ statusCode: status, code });
    },
  );

  it('a subscription that does not exist: 404 as a RestError', async () => {
    const workflowId = addRequestWorkflow(emulator, 'es-missing');
    const error = await rejection(gateway.read(dependentOf(eventSubscriptionIdIn()), targetOf(workflowId)));
    expect(error).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });
});
