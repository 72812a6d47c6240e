import { useEmulator } from '../support/emulatorEnvironment';
import * as fs from 'fs';
import * as path from 'path';
import { callEmulator, expectSameShape } from './emulatorTestKit';

/** An official example: the request parameters and the answers, by status. */
interface ReferenceExample {
  readonly parameters: Record<string, unknown>;
  readonly responses: Record<string, { readonly body?: unknown }>;
}

/** Examples from `Azure/azure-rest-api-specs` @ a977c730fda43ab19c05373b32c7159d6f265e9a (see reference/README.md). */
function reference(name: string): ReferenceExample {
  return JSON.parse(fs.readFileSync(path.join(__dirname, 'reference', `${name}.json`), 'utf8')) as ReferenceExample;
}

describe('the emulator answers like the official Azure examples (dependents)', () => {
  const emulator = useEmulator({ conformanceCheck: false, environment: 'none' });
  let token: string;

  beforeAll(() => {
    token = emulator.issueAccessToken(`${emulator.armEndpoint}/.default`);
  });

  describe('Microsoft.Insights 2021-09-01 action groups', () => {
    const example = reference('monitor/createOrUpdateActionGroup');
    const { subscriptionId = '', resourceGroupName = '', actionGroupName = '' } = example.parameters as Record<string, string | undefined>;
    const id = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroupName}/providers/Microsoft.Insights/actionGroups/${actionGroupName}`;
    // Items compare with the example's first webhook receiver, which has no AAD fields; its second has them.
    const webhookAadFields = ['useAadAuth', 'objectId', 'identifierUri', 'tenantId'].map(
      (field) => `$.properties.webhookReceivers[].${field}`,
    );
    beforeAll(() => emulator.logic.addResourceGroup(subscriptionId, resourceGroupName));
    const call = (method: string, body?: unknown) =>
      callEmulator(method, `${emulator.armEndpoint}${id}?api-version=2021-09-01`, { token, body });

    it('ActionGroups_CreateOrUpdate: the example request creates (201) and then updates (200) the example answer', async () => {
      const created = await call('PUT', example.parameters['actionGroup']);
      expect(created.status).toBe(201);
      const updated = await call('PUT', example.parameters['actionGroup']);
      expect(updated.status).toBe(200);
      expectSameShape(updated.body, example.responses['200']?.body, { extra: webhookAadFields });
      // Whole, but for the function receiver's URL, which the example shows as a placeholder.
      const expected = JSON.parse(
        JSON.stringify(example.responses['200']?.body).replace('"<httpTriggerUrl>"', '"http://test.me"'),
      ) as unknown;
      expect(updated.body).toEqual(expected);
    });

    it('ActionGroups_Get', async () => {
      const answer = await call('GET');
      expect(answer.status).toBe(200);
      expectSameShape(answer.body, reference('monitor/getActionGroup').responses['200']?.body, { extra: webhookAadFields });
    });

    it('ActionGroups_Update (PATCH)', async () => {
      const patch = reference('monitor/patchActionGroup');
      const answer = await call('PATCH', patch.parameters['actionGroupPatch']);
      expect(answer.status).toBe(200);
      expectSameShape(answer.body, patch.responses['200']?.body, { extra: webhookAadFields });
      expect(answer.body).toMatchObject({ tags: { key1: 'value1', key2: 'value2' }, properties: { enabled: false } });
    });
  });

  describe('Microsoft.EventGrid 2022-06-15 event subscriptions (WebHook, custom topic scope)', () => {
    const get = reference('eventGrid/EventSubscriptions_GetForCustomTopic_WebhookDestination');
    const { scope, eventSubscriptionName } = get.parameters as Record<string, string>;
    const id = `/${scope}/providers/Microsoft.EventGrid/eventSubscriptions/${eventSubscriptionName}`;
    const url = (suffix = '') => `${emulator.armEndpoint}${id}${suffix}?api-version=2022-06-15`;
    // Documented fields the service reports and these examples leave out.
    const extra = [
      '$.properties.destination.properties.maxEventsPerBatch',
      '$.properties.destination.properties.preferredBatchSizeInKilobytes',
      '$.properties.eventDeliverySchema',
      '$.properties.retryPolicy',
    ];

    beforeAll(() => {
      const workflowId = emulator.logic.addWorkflow({
        subscriptionId: '5b4b650e-28b9-4790-b3ab-ddbd88d727c4',
        resourceGroup: 'examplerg',
        name: 'wf',
      });
      const seeded = get.responses['200']?.body as { properties: { filter: Record<string, unknown>; labels: string[] } };
      emulator.eventGrid.seedEventSubscription(id, {
        endpointUrl: emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary'),
        filter: seeded.properties.filter,
        labels: seeded.properties.labels,
      });
    });

    it('EventSubscriptions_Get', async () => {
      const answer = await callEmulator('GET', url(), { token });
      expect(answer.status).toBe(200);
      expectSameShape(answer.body, get.responses['200']?.body, { extra });
      expect(answer.body).toMatchObject({ id: get.responses['200']?.body && (get.responses['200'].body as { id: string }).id });
    });

    it('EventSubscriptions_GetFullUrl', async () => {
      const answer = await callEmulator('POST', url('/getFullUrl'), { token });
      expect(answer.status).toBe(200);
      expectSameShape(answer.body, reference('eventGrid/EventSubscriptions_GetFullUrlForCustomTopic').responses['200']?.body);
    });

    it('EventSubscriptions_Update: 201 with the subscription, then it is done', async () => {
      const example = reference('eventGrid/EventSubscriptions_UpdateForCustomTopic_WebhookDestination');
      // The example's endpoint is no Logic App: Event Grid's handshake would fail it, so the operation ends Failed.
      const answer = await callEmulator('PATCH', url(), { token, body: example.parameters['eventSubscriptionUpdateParameters'] });
      expect(answer.status).toBe(201);
      expectSameShape(answer.body, example.responses['201']?.body, { extra });
      expect(answer.body).toMatchObject({ properties: { filter: { subjectEndsWith: 'newSuffix' }, labels: ['label1', 'label2'] } });
    });

    it('EventSubscriptions_CreateOrUpdate: 201 with the subscription', async () => {
      const example = reference('eventGrid/EventSubscriptions_CreateOrUpdateForCustomTopic_WebhookDestination');
      const created = `/${example.parameters['scope'] as string}/providers/Microsoft.EventGrid/eventSubscriptions/${example.parameters['eventSubscriptionName'] as string}`;
      const answer = await callEmulator('PUT', `${emulator.armEndpoint}${created}?api-version=2022-06-15`, {
        token,
        body: example.parameters['eventSubscriptionInfo'],
      });
      expect(answer.status).toBe(201);
      expectSameShape(answer.body, example.responses['201']?.body, { extra: [...extra, '$.properties.labels'] });
      expect(answer.body).toMatchObject({
        properties: {
          destination: { properties: { endpointBaseUrl: 'https://azurefunctionexample.azurewebsites.net/runtime/webhooks/EventGrid' } },
        },
      });
    });

    it('EventSubscriptions_GetDeliveryAttributes', async () => {
      const answer = await callEmulator('POST', url('/getDeliveryAttributes'), { token });
      expect(answer.status).toBe(200);
      // The seeded subscription has none; the example's list is of { name, type } items.
      expect(answer.body).toEqual({ value: [] });
      expect(Object.keys(reference('eventGrid/EventSubscriptions_GetDeliveryAttributes').responses['200']?.body as object)).toEqual([
        'value',
      ]);
    });
  });
});
