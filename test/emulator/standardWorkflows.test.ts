import { ManagedIdentityCredential } from '@azure/identity';
import { callEmulator, useFidelityEmulator, type CallbackUrlBody } from './emulatorTestKit';

const subscriptionId = '5a0c1e2d-3f4a-4b5c-8d6e-7f8091a2b3c4';
const resourceGroup = 'rg-standard';
const site = 'la-orders-std';
const management = '/hostruntime/runtime/webhooks/workflow/api/management/workflows';

describe('Logic Apps Standard on ARM (Microsoft.Web 2024-04-01)', () => {
  const emulator = useFidelityEmulator('managedIdentity');
  let token: string;
  let ordersId: string;
  let siteUrl: string;

  beforeAll(async () => {
    ordersId = emulator.logic.addStandardWorkflow({
      subscriptionId,
      resourceGroup,
      site,
      name: 'orders',
      siteTags: { 'sas-rotation': 'enabled' },
    });
    emulator.logic.addStandardWorkflow({
      subscriptionId,
      resourceGroup,
      site,
      name: 'nightly',
      triggers: { Recurrence: 'Recurrence' },
      kind: 'Stateless',
    });
    siteUrl = `${emulator.armEndpoint}/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Web/sites/${site}`;
    token = (await new ManagedIdentityCredential().getToken(`${emulator.armEndpoint}/.default`)).token;
  });

  /** `apiVersion: null` leaves the parameter out. */
  const web = (method: string, suffix: string, body?: unknown, apiVersion: string | null = '2024-04-01', bearer = token) =>
    callEmulator(method, `${siteUrl}${suffix}${apiVersion === null ? '' : `?api-version=${apiVersion}`}`, { token: bearer, body });
  const listCallbackUrl = async (workflow: string, body?: unknown): Promise<CallbackUrlBody> => {
    const answer = await web('POST', `${management}/${workflow}/triggers/manual/listCallbackUrl`, body);
    expect(answer.status).toBe(200);
    return answer.body as CallbackUrlBody;
  };
  const regenerate = (keyType: string, workflow = 'orders') => web('POST', `${management}/${workflow}/regenerateAccessKey`, { keyType });

  it('seeds the workflow under the site with a Microsoft.Web ID', () => {
    expect(ordersId).toBe(
      `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Web/sites/${site}/workflows/orders`,
    );
    expect(emulator.logic.findStandardWorkflow(ordersId)).toMatchObject({ site, name: 'orders', kind: 'Stateful', flowState: 'Enabled' });
  });

  it("lists the site's workflows with kind and flowState, and gets one", async () => {
    const answer = await web('GET', '/workflows');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      value: [
        {
          id: ordersId,
          name: `${site}/orders`,
          type: 'Microsoft.Web/sites/workflows',
          location: 'westeurope',
          kind: 'Stateful',
          properties: { flowState: 'Enabled', health: { state: 'Healthy' } },
        },
        expect.objectContaining({ name: `${site}/nightly`, kind: 'Stateless' }),
      ],
      nextLink: null,
    });
    const one = await web('GET', '/workflows/orders');
    expect(one.body).toMatchObject({ id: ordersId, kind: 'Stateful' });
  });

  it('lists and gets triggers through the management API', async () => {
    const triggers = await web('GET', `${management}/orders/triggers`);
    expect(triggers.status).toBe(200);
    expect((triggers.body as { value: Array<{ name: string }> }).value.map((trigger) => trigger.name)).toEqual(['manual']);
    const trigger = await web('GET', `${management}/nightly/triggers/Recurrence`);
    expect(trigger.body).toMatchObject({ name: 'Recurrence', type: 'Microsoft.Web/sites/workflows/triggers' });
  });

  it('lists the callback URL (default Primary, or the requested key) in the Standard shape, on the runtime origin', async () => {
    const primary = await listCallbackUrl('orders');
    expect(primary.value).toMatch(
      new RegExp(
        `^${emulator.logicRuntimeEndpoint}/sites/${site}/api/orders/triggers/manual/invoke\\?api-version=2022-05-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1\\.0&sig=[A-Za-z0-9_-]{43}$`,
      ),
    );
    expect(primary).toMatchObject({
      method: 'POST',
      basePath: `${emulator.logicRuntimeEndpoint}/sites/${site}/api/orders/triggers/manual/invoke`,
      queries: { 'api-version': '2022-05-01', sp: '/triggers/manual/run', sv: '1.0' },
    });
    expect(primary.value).toBe(emulator.logic.currentCallbackUrl(ordersId, 'manual', 'Primary'));
    const secondary = await listCallbackUrl('orders', { keyType: 'Secondary' });
    expect(secondary.value).toBe(emulator.logic.currentCallbackUrl(ordersId, 'manual', 'Secondary'));
    expect(secondary.queries['sig']).not.toBe(primary.queries['sig']);
    expect((await callEmulator('POST', primary.value, { body: { order: 1 } })).status).toBe(202);
  });

  it('alternates like Consumption: regenerating one key breaks only the URLs signed with it', async () => {
    const primary = (await listCallbackUrl('orders', { keyType: 'Primary' })).value;
    const secondary = (await listCallbackUrl('orders', { keyType: 'Secondary' })).value;
    const before = emulator.logic.keyVersionOf(ordersId, 'Primary');

    const answer = await regenerate('Primary');
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('');
    expect(emulator.logic.keyVersionOf(ordersId, 'Primary')).toBe(before + 1);
    expect(emulator.logic.isCallbackUrlValid(primary)).toBe(false);
    expect(emulator.logic.isCallbackUrlValid(secondary)).toBe(true);
    expect((await callEmulator('POST', primary)).status).toBe(401);
    expect((await callEmulator('POST', secondary)).status).toBe(202);

    const fresh = (await listCallbackUrl('orders')).value;
    expect(fresh).not.toBe(primary);
    expect(emulator.logic.isCallbackUrlValid(fresh)).toBe(true);

    expect((await regenerate('Secondary')).status).toBe(200);
    expect(emulator.logic.isCallbackUrlValid(secondary)).toBe(false);
    expect(emulator.logic.isCallbackUrlValid(fresh)).toBe(true);
  });

  it('checks a Standard URL against its own site and workflow only', () => {
    const url = new URL(emulator.logic.currentCallbackUrl(ordersId, 'manual', 'Primary'));
    const otherSite = new URL(url);
    otherSite.pathname = url.pathname.replace(`/sites/${site}/`, '/sites/other-site/');
    const otherWorkflow = new URL(url);
    otherWorkflow.pathname = url.pathname.replace('/api/orders/', '/api/nightly/');
    const noSig = new URL(url);
    noSig.searchParams.delete('sig');
    for (const tampered of [otherSite, otherWorkflow, noSig]) expect(emulator.logic.isCallbackUrlValid(tampered.toString())).toBe(false);
    expect(emulator.logic.checkCallbackUrl(url)).toEqual({
      valid: true,
      target: { host: 'standard', workflowId: ordersId, name: 'orders', trigger: 'manual', enabled: true },
    });
  });

  it('answers 400 ApiNotSupported for a non-Request trigger', async () => {
    const answer = await web('POST', `${management}/nightly/triggers/Recurrence/listCallbackUrl`);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: { code: 'ApiNotSupported', message: "The 'ListCallbackUrl' API is not supported by triggers of type 'Recurrence'." },
    });
  });

  it('answers 404 for an unknown site, workflow, trigger or resource group', async () => {
    const unknownSite = await callEmulator('POST', `${siteUrl}-missing${management}/orders/regenerateAccessKey?api-version=2024-04-01`, {
      token,
      body: { keyType: 'Primary' },
    });
    expect(unknownSite.status).toBe(404);
    expect(unknownSite.body).toEqual({
      error: {
        code: 'ResourceNotFound',
        message: `The Resource 'Microsoft.Web/sites/${site}-missing' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      },
    });
    const unknownWorkflow = await web('POST', `${management}/missing/triggers/manual/listCallbackUrl`);
    expect(unknownWorkflow.status).toBe(404);
    expect(unknownWorkflow.body).toEqual({ error: { code: 'WorkflowNotFound', message: "The workflow 'missing' could not be found." } });
    const unknownTrigger = await web('POST', `${management}/orders/triggers/other/listCallbackUrl`);
    expect(unknownTrigger.body).toMatchObject({ error: { code: 'WorkflowTriggerNotFound' } });
    const unknownGroup = await callEmulator('GET', `${siteUrl.replace(resourceGroup, 'rg-missing')}/workflows?api-version=2024-04-01`, {
      token,
    });
    expect(unknownGroup.body).toMatchObject({ error: { code: 'ResourceGroupNotFound' } });
  });

  it('refuses regenerateAccessKey without a valid keyType, leaving the keys alone', async () => {
    const before = emulator.logic.keyVersionOf(ordersId, 'Secondary');
    expect((await web('POST', `${management}/orders/regenerateAccessKey`)).status).toBe(400);
    const notSpecified = await regenerate('NotSpecified');
    expect(notSpecified.status).toBe(400);
    expect(notSpecified.body).toMatchObject({ error: { code: 'InvalidKeyType' } });
    expect(emulator.logic.keyVersionOf(ordersId, 'Secondary')).toBe(before);
  });

  it('refuses a missing or a Microsoft.Logic api-version', async () => {
    const missing = await web('GET', '/workflows', undefined, null);
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: { code: 'MissingApiVersionParameter' } });
    const logicVersion = await web('POST', `${management}/orders/regenerateAccessKey`, { keyType: 'Primary' }, '2019-05-01');
    expect(logicVersion.status).toBe(400);
    expect(logicVersion.body).toMatchObject({ error: { code: 'NoRegisteredProviderFound' } });
  });

  it('authenticates like ARM: a Flow or Key Vault token is the wrong audience', async () => {
    for (const audience of ['https://service.flow.microsoft.com/', 'https://vault.azure.net']) {
      const answer = await web('GET', '/workflows', undefined, '2024-04-01', emulator.issueAccessToken(audience));
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: { code: 'InvalidAuthenticationTokenAudience' } });
    }
    expect(
      (await web('GET', '/workflows', undefined, '2024-04-01', emulator.issueAccessToken('https://management.azure.com/'))).status,
    ).toBe(200);
  });

  it("shares ARM's headers and write bucket, and records every operation", async () => {
    const answer = await regenerate('Secondary');
    expect(answer.headers['x-ms-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(answer.headers['x-ms-ratelimit-remaining-subscription-writes'])).toBeGreaterThan(0);
    const operations = new Set(
      emulator.requests.filter((request) => request.subscriptionId === subscriptionId).map((request) => request.operationId),
    );
    for (const operationId of [
      'WebApps_ListWorkflows',
      'WebApps_GetWorkflow',
      'StandardWorkflowTriggers_List',
      'StandardWorkflowTriggers_Get',
      'StandardWorkflowTriggers_ListCallbackUrl',
      'StandardWorkflows_RegenerateAccessKey',
    ]) {
      expect(operations).toContain(operationId);
    }
    for (const request of emulator.requests) expect(request.path).not.toContain('sig=');
  });

  it('afterProcessing: the key changes although the call reports a failure', async () => {
    emulator.faults.add({ operationId: 'StandardWorkflows_RegenerateAccessKey', status: 500, afterProcessing: true });
    const before = emulator.logic.keyVersionOf(ordersId, 'Primary');
    const answer = await regenerate('Primary');
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({ error: { code: 'InternalServerError' } });
    expect(answer.headers['x-ms-request-id']).toBeDefined();
    expect(emulator.logic.keyVersionOf(ordersId, 'Primary')).toBe(before + 1);
  });

  it('faults before processing leave the key alone; the Standard operationIds do not catch Consumption calls', async () => {
    const consumptionId = emulator.logic.addWorkflow({ subscriptionId, resourceGroup, name: 'consumption-neighbour' });
    emulator.faults.add({ operationId: 'StandardWorkflowTriggers_ListCallbackUrl', status: 503, times: Infinity });
    expect((await web('POST', `${management}/orders/triggers/manual/listCallbackUrl`)).status).toBe(503);
    const consumption = await callEmulator(
      'POST',
      `${emulator.armEndpoint}${consumptionId}/triggers/manual/listCallbackUrl?api-version=2019-05-01`,
      { token },
    );
    expect(consumption.status).toBe(200);
  });

  it('refuses a disabled Standard workflow at the runtime (409) although its URL is signed', async () => {
    const disabledId = emulator.logic.addStandardWorkflow({ subscriptionId, resourceGroup, site, name: 'paused', flowState: 'Disabled' });
    const url = emulator.logic.currentCallbackUrl(disabledId, 'manual', 'Primary');
    expect(emulator.logic.isCallbackUrlValid(url)).toBe(true);
    expect((await callEmulator('POST', url)).status).toBe(409);
  });
});
