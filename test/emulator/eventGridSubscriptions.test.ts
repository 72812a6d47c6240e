import { useEmulator } from '../support/emulatorEnvironment';
import { callEmulator, type EmulatorAnswer } from './emulatorTestKit';

const subscriptionId = '7a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const resourceGroup = 'rg-events';
const apiVersion = '2022-06-15';

/** Event Grid event subscriptions behind ARM (Microsoft.EventGrid 2022-06-15), over raw HTTP. */
describe('Microsoft.EventGrid event subscriptions', () => {
  const emulator = useEmulator({ conformanceCheck: false, environment: 'none' });
  let token: string;
  let workflowId: string;
  const topicScope = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.EventGrid/topics/orders`;
  const idIn = (scope: string, name: string) => `${scope}/providers/Microsoft.EventGrid/eventSubscriptions/${name}`;
  const url = (id: string, suffix = '', version = apiVersion) => `${emulator.armEndpoint}${id}${suffix}?api-version=${version}`;
  const primary = () => emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary');
  const secondary = () => emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Secondary');

  beforeAll(() => {
    token = emulator.issueAccessToken(`${emulator.armEndpoint}/.default`);
    workflowId = emulator.logic.addWorkflow({ subscriptionId, resourceGroup, name: 'events' });
  });
  afterEach(() => emulator.eventGrid.resetUpdateBehaviour());

  /** Polls the Azure-AsyncOperation URL until the operation ends (or `maxPolls`). */
  async function pollUntilDone(started: EmulatorAnswer, maxPolls = 10): Promise<EmulatorAnswer[]> {
    const statusUrl = started.headers['azure-asyncoperation'] as string;
    const answers: EmulatorAnswer[] = [];
    for (let poll = 0; poll < maxPolls; poll += 1) {
      const answer = await callEmulator('GET', statusUrl, { token });
      answers.push(answer);
      if ((answer.body as { status: string }).status !== 'InProgress') break;
    }
    return answers;
  }

  it("GET shows a WebHook's URL without its query; POST getFullUrl gives it whole", async () => {
    const id = emulator.eventGrid.seedEventSubscription(idIn(topicScope, 'to-logic'), { endpointUrl: primary() });

    const get = await callEmulator('GET', url(id), { token });
    expect(get.status).toBe(200);
    expect(get.body).toEqual({
      properties: {
        topic: topicScope,
        provisioningState: 'Succeeded',
        destination: {
          endpointType: 'WebHook',
          properties: { endpointBaseUrl: primary().split('?')[0], maxEventsPerBatch: 1, preferredBatchSizeInKilobytes: 64 },
        },
        filter: { isSubjectCaseSensitive: false },
        labels: [],
        eventDeliverySchema: 'EventGridSchema',
        retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 },
      },
      id,
      name: 'to-logic',
      type: 'Microsoft.EventGrid/eventSubscriptions',
    });
    expect(get.text).not.toContain('sig=');

    const full = await callEmulator('POST', url(id, '/getFullUrl'), { token });
    expect(full.status).toBe(200);
    expect((full.body as { endpointUrl: string }).endpointUrl === primary()).toBe(true);
    expect(emulator.eventGrid.urlWorks(id)).toBe(true);
  });

  it('works on every scope: a subscription, a resource group, any resource', async () => {
    const scopes = [`/subscriptions/${subscriptionId}`, `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`, topicScope];
    for (const [index, scope] of scopes.entries()) {
      const id = emulator.eventGrid.seedEventSubscription(idIn(scope, `scoped-${index}`), { endpointUrl: primary() });
      const get = await callEmulator('GET', url(id), { token });
      expect([get.status, (get.body as { properties: { topic: string } }).properties.topic]).toEqual([200, scope]);
    }
  });

  it('PATCH is long-running: 201 and Azure-AsyncOperation; InProgress while the subscription is Updating, then Succeeded', async () => {
    const id = emulator.eventGrid.seedEventSubscription(idIn(topicScope, 'patched'), { endpointUrl: primary(), maxEventsPerBatch: 5 });
    emulator.eventGrid.nextUpdate({ inProgressPolls: 2, retryAfterSeconds: 1 });

    const started = await callEmulator('PATCH', url(id), {
      token,
      body: { destination: { endpointType: 'WebHook', properties: { endpointUrl: secondary() } } },
    });

    expect(started.status).toBe(201);
    expect(started.headers['azure-asyncoperation']).toMatch(
      new RegExp(
        `/subscriptions/${subscriptionId}/providers/Microsoft\\.EventGrid/locations/global/operationsStatus/[0-9A-F-]{36}\\?api-version=${apiVersion}$`,
      ),
    );
    expect(started.body).toMatchObject({ properties: { provisioningState: 'Updating' } });
    expect(emulator.eventGrid.find(id)?.provisioningState).toBe('Updating');
    expect(emulator.eventGrid.endpointUrl(id) === primary()).toBe(true);

    const polls = await pollUntilDone(started);
    expect(polls.map((poll) => (poll.body as { status: string }).status)).toEqual(['InProgress', 'InProgress', 'Succeeded']);
    expect(polls[0]?.headers['retry-after']).toBe('1');
    expect(emulator.eventGrid.find(id)).toMatchObject({ provisioningState: 'Succeeded', destination: { maxEventsPerBatch: 1 } });
    expect(emulator.eventGrid.endpointUrl(id) === secondary()).toBe(true);
    expect(emulator.eventGrid.urlWorks(id)).toBe(true);
  });

  it("the validation handshake: a Standard workflow's URL, or one that does not work now, ends the operation Failed with Url validation", async () => {
    const standard = emulator.logic.addStandardWorkflow({ subscriptionId, resourceGroup: 'rg-std', site: 'la-events', name: 'intake' });
    const candidates = [
      emulator.logic.currentCallbackUrl(standard, 'manual', 'Primary'),
      `${primary().split('sig=')[0]}sig=not-the-signature`,
      'https://hooks.example.com/endpoint?code=abc',
    ];
    for (const [index, candidate] of candidates.entries()) {
      const id = emulator.eventGrid.seedEventSubscription(idIn(topicScope, `handshake-${index}`), { endpointUrl: primary() });
      const started = await callEmulator('PATCH', url(id), {
        token,
        body: { destination: { endpointType: 'WebHook', properties: { endpointUrl: candidate } } },
      });
      const polls = await pollUntilDone(started);
      const last = polls.at(-1)?.body as { status: string; error: { code: string; message: string } };
      expect(last.status).toBe('Failed');
      expect(last.error.code).toBe('Url validation');
      expect(last.error.message).toMatch(/^Webhook validation handshake failed for https:\/\/\S+\. /);
      expect(last.error.message).not.toContain('?');
      expect(emulator.eventGrid.find(id)?.provisioningState).toBe('Failed');
      expect(emulator.eventGrid.endpointUrl(id) === primary()).toBe(true);
    }
  });

  it('LRO faults: an operation that fails anyway, one that never completes', async () => {
    const id = emulator.eventGrid.seedEventSubscription(idIn(topicScope, 'lro-faults'), { endpointUrl: primary() });
    const patch = () =>
      callEmulator('PATCH', url(id), {
        token,
        body: { destination: { endpointType: 'WebHook', properties: { endpointUrl: secondary() } } },
      });

    emulator.eventGrid.nextUpdate({ outcome: 'failed' });
    const failed = await pollUntilDone(await patch());
    expect(failed.at(-1)?.body).toMatchObject({ status: 'Failed', error: { code: 'InternalServerError' } });

    emulator.eventGrid.nextUpdate({ outcome: 'neverCompletes' });
    const stuck = await pollUntilDone(await patch(), 6);
    expect(stuck.map((poll) => (poll.body as { status: string }).status)).toEqual(Array(6).fill('InProgress'));
    expect(emulator.eventGrid.find(id)?.provisioningState).toBe('Updating');
  });

  it('PUT creates a subscription (long-running, Creating until done); getDeliveryAttributes gives what GET hides', async () => {
    const id = idIn(topicScope, 'created');
    const mappings = [
      { name: 'x-api-key', type: 'Static', properties: { value: 'delivery-secret', isSecret: true } },
      { name: 'x-order', type: 'Dynamic', properties: { sourceField: 'data.orderId' } },
    ];
    const started = await callEmulator('PUT', url(id), {
      token,
      body: {
        properties: {
          destination: { endpointType: 'WebHook', properties: { endpointUrl: primary(), deliveryAttributeMappings: mappings } },
        },
      },
    });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ properties: { provisioningState: 'Creating' } });
    await pollUntilDone(started);

    const get = await callEmulator('GET', url(id), { token });
    expect(get.body).toMatchObject({
      properties: {
        provisioningState: 'Succeeded',
        destination: {
          properties: {
            deliveryAttributeMappings: [
              { name: 'x-api-key', type: 'Static', properties: {} },
              { name: 'x-order', type: 'Dynamic', properties: { sourceField: 'data.orderId' } },
            ],
          },
        },
      },
    });
    expect(get.text).not.toContain('delivery-secret');
    const attributes = await callEmulator('POST', url(id, '/getDeliveryAttributes'), { token });
    expect(attributes.body).toEqual({ value: mappings });
  });

  it('refuses what Azure refuses', async () => {
    const missing = await callEmulator('GET', url(idIn(topicScope, 'nope')), { token });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'ResourceNotFound' } });

    const id = emulator.eventGrid.seedEventSubscription(idIn(topicScope, 'strict'), { endpointUrl: primary() });
    const plainHttp = await callEmulator('PATCH', url(id), {
      token,
      body: { destination: { endpointType: 'WebHook', properties: { endpointUrl: 'http://insecure.example.com/hook' } } },
    });
    expect(plainHttp.status).toBe(400);

    const queue = emulator.eventGrid.seedEventSubscription(idIn(topicScope, 'queue'), {
      destination: { endpointType: 'StorageQueue', properties: { queueName: 'orders' } },
    });
    expect((await callEmulator('POST', url(queue, '/getFullUrl'), { token })).status).toBe(400);

    const version = await callEmulator('GET', url(id, '', '2019-05-01'), { token });
    expect(version.body).toMatchObject({ error: { code: 'InvalidApiVersionParameter' } });

    const unknownOperation = await callEmulator(
      'GET',
      `${emulator.armEndpoint}/subscriptions/${subscriptionId}/providers/Microsoft.EventGrid/locations/global/operationsStatus/nope?api-version=${apiVersion}`,
      { token },
    );
    expect(unknownOperation.status).toBe(404);
  });

  it('faults are injected by operation name, the status monitor included', async () => {
    const id = emulator.eventGrid.seedEventSubscription(idIn(topicScope, 'faulty'), { endpointUrl: primary() });
    emulator.faults.add({ operationId: 'EventSubscriptions_GetFullUrl', status: 503 });
    emulator.faults.add({ operationId: 'EventGrid_OperationsStatus', status: 500 });

    expect((await callEmulator('POST', url(id, '/getFullUrl'), { token })).status).toBe(503);
    const started = await callEmulator('PATCH', url(id), {
      token,
      body: { destination: { endpointType: 'WebHook', properties: { endpointUrl: secondary() } } },
    });
    const poll = await callEmulator('GET', started.headers['azure-asyncoperation'] as string, { token });
    expect(poll.status).toBe(500);
    expect(poll.body).toMatchObject({ error: { code: 'InternalServerError' } });
  });
});
