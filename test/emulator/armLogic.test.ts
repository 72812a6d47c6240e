import { ManagedIdentityCredential } from '@azure/identity';
import { LogicManagementClient } from '@azure/arm-logic';
import { callEmulator, useFidelityEmulator } from './emulatorTestKit';

const subscriptionId = '00000000-1111-2222-3333-444444444444';
const resourceGroup = 'rg-integration';

describe('ARM Microsoft.Logic/workflows through @azure/arm-logic', () => {
  const emulator = useFidelityEmulator('managedIdentity');
  let client: LogicManagementClient;
  let ordersId: string;
  let token: string;

  beforeAll(() => {
    ordersId = emulator.logic.addWorkflow({ subscriptionId, resourceGroup, name: 'orders', tags: { 'sas-rotation': 'enabled' } });
    emulator.logic.addWorkflow({ subscriptionId, resourceGroup, name: 'nightly', triggers: { nightly: 'Recurrence' } });
    client = new LogicManagementClient(new ManagedIdentityCredential(), subscriptionId, { endpoint: emulator.armEndpoint });
    token = emulator.issueAccessToken(`${emulator.armEndpoint}/.default`);
  });

  /** `apiVersion: null` leaves the parameter out. */
  const armUrl = (suffix: string, apiVersion: string | null = '2019-05-01'): string =>
    `${emulator.armEndpoint}${ordersId}${suffix}${apiVersion === null ? '' : `?api-version=${apiVersion}`}`;

  it('gets a workflow with its Request trigger and access endpoint', async () => {
    const workflow = await client.workflows.get(resourceGroup, 'orders');
    expect(workflow).toMatchObject({
      id: ordersId,
      name: 'orders',
      location: 'westeurope',
      state: 'Enabled',
      tags: { 'sas-rotation': 'enabled' },
    });
    expect(workflow.accessEndpoint).toMatch(new RegExp(`^${emulator.logicRuntimeEndpoint}/workflows/[0-9a-f]{32}$`));
    expect((workflow.definition as { triggers: Record<string, { type: string }> }).triggers['manual']?.type).toBe('Request');
  });

  it('lists triggers and lists workflows by subscription and resource group', async () => {
    const triggers = [];
    for await (const trigger of client.workflowTriggers.list(resourceGroup, 'orders')) triggers.push(trigger.name);
    expect(triggers).toEqual(['manual']);
    const bySubscription = [];
    for await (const workflow of client.workflows.listBySubscription()) bySubscription.push(workflow.name);
    expect(bySubscription.sort()).toEqual(['nightly', 'orders']);
    const byGroup = [];
    for await (const workflow of client.workflows.listByResourceGroup(resourceGroup)) byGroup.push(workflow.name);
    expect(byGroup.sort()).toEqual(['nightly', 'orders']);
  });

  it('pages workflow lists with nextLink (100 per page), and lists an empty resource group', async () => {
    const crowded = '99999999-0000-0000-0000-000000000000';
    for (let index = 0; index < 120; index += 1)
      emulator.logic.addWorkflow({ subscriptionId: crowded, resourceGroup: 'rg-many', name: `wf-${index}` });
    emulator.logic.addResourceGroup(crowded, 'rg-empty');
    const crowdedClient = new LogicManagementClient(new ManagedIdentityCredential(), crowded, { endpoint: emulator.armEndpoint });
    const pages = [];
    for await (const page of crowdedClient.workflows.listBySubscription().byPage()) pages.push(page.length);
    expect(pages).toEqual([100, 20]);
    const empty = [];
    for await (const workflow of crowdedClient.workflows.listByResourceGroup('rg-empty')) empty.push(workflow);
    expect(empty).toEqual([]);
  });

  it('regenerates a key: 200, and the callback URL signed with it changes', async () => {
    const before = await client.workflows.listCallbackUrl(resourceGroup, 'orders', { keyType: 'Secondary' });
    await client.workflows.regenerateAccessKey(resourceGroup, 'orders', { keyType: 'Secondary' });
    const after = await client.workflows.listCallbackUrl(resourceGroup, 'orders', { keyType: 'Secondary' });
    expect(emulator.logic.keyVersionOf(ordersId, 'Secondary')).toBe(1);
    expect(after.queries?.sig).not.toBe(before.queries?.sig);
    expect(emulator.logic.isCallbackUrlValid(after.value ?? '')).toBe(true);
    expect(emulator.logic.isCallbackUrlValid(before.value ?? '')).toBe(false);
  });

  it('lists the trigger URL with the SDK (no body: Primary) and with the documented {"keyType"} body', async () => {
    const sdk = await client.workflowTriggers.listCallbackUrl(resourceGroup, 'orders', 'manual');
    expect(sdk.value).toBe(emulator.logic.currentCallbackUrl(ordersId, 'manual', 'Primary'));
    expect(sdk).toMatchObject({ method: 'POST', queries: { apiVersion: '2016-10-01', sp: '/triggers/manual/run', sv: '1.0' } });
    expect(sdk.queries?.sig).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const documented = await callEmulator('POST', armUrl('/triggers/manual/listCallbackUrl'), { token, body: { keyType: 'Secondary' } });
    expect(documented.status).toBe(200);
    expect((documented.body as { value: string }).value).toBe(emulator.logic.currentCallbackUrl(ordersId, 'manual', 'Secondary'));
  });

  it('lists a version-pinned URL, valid only for the current version', async () => {
    const workflow = await client.workflows.get(resourceGroup, 'orders');
    const pinned = await client.workflowVersionTriggers.listCallbackUrl(resourceGroup, 'orders', workflow.version ?? '', 'manual', {
      parameters: { keyType: 'Primary' },
    });
    expect(pinned.queries?.sp).toBe(`/versions/${workflow.version ?? ''}/triggers/manual/run`);
    expect(emulator.logic.isCallbackUrlValid(pinned.value ?? '')).toBe(true);
  });

  it('answers 400 ApiNotSupported for a Recurrence trigger', async () => {
    const answer = await callEmulator(
      'POST',
      `${emulator.armEndpoint}${ordersId.replace('/orders', '/nightly')}/triggers/nightly/listCallbackUrl?api-version=2019-05-01`,
      { token },
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: { code: 'ApiNotSupported', message: "The 'ListCallbackUrl' API is not supported by triggers of type 'Recurrence'." },
    });
  });

  it('answers 404 ResourceNotFound / WorkflowTriggerNotFound / ResourceGroupNotFound through the SDK', async () => {
    await expect(client.workflows.get(resourceGroup, 'missing')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
    await expect(client.workflowTriggers.get(resourceGroup, 'orders', 'other')).rejects.toMatchObject({
      statusCode: 404,
      code: 'WorkflowTriggerNotFound',
    });
    await expect(client.workflows.get('rg-missing', 'orders')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceGroupNotFound' });
  });

  it('matches resource IDs without regard to case', async () => {
    const answer = await callEmulator('GET', `${emulator.armEndpoint}${ordersId.toUpperCase()}?api-version=2019-05-01`, { token });
    expect(answer.status).toBe(200);
  });

  it('refuses a missing or unsupported api-version with ARM codes', async () => {
    const missing = await callEmulator('GET', armUrl('', null), { token });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      error: {
        code: 'MissingApiVersionParameter',
        message: 'The api-version query parameter (?api-version=) is required for all requests.',
      },
    });
    const unsupported = await callEmulator('GET', armUrl('', '2016-06-01'), { token });
    expect(unsupported.status).toBe(400);
    expect(unsupported.body).toMatchObject({ error: { code: 'InvalidApiVersionParameter' } });
  });

  it('refuses regenerateAccessKey without a valid keyType', async () => {
    const missing = await callEmulator('POST', armUrl('/regenerateAccessKey'), { token, body: {} });
    const notSpecified = await callEmulator('POST', armUrl('/regenerateAccessKey'), { token, body: { keyType: 'NotSpecified' } });
    expect(missing.status).toBe(400);
    expect(notSpecified.status).toBe(400);
    expect(notSpecified.body).toMatchObject({ error: { code: 'InvalidKeyType' } });
    expect(emulator.logic.keyVersionOf(ordersId, 'Primary')).toBe(0);
  });

  describe('authentication', () => {
    it('401 AuthenticationFailed without a token, with the ARM challenge', async () => {
      const answer = await callEmulator('GET', armUrl(''));
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: { code: 'AuthenticationFailed' } });
      expect(answer.headers['www-authenticate']).toContain(`authorization_uri="https://login.windows.net/${emulator.tenantId}"`);
      expect(answer.headers['www-authenticate']).toContain('error="invalid_token"');
    });

    it('401 InvalidAuthenticationTokenAudience for a Key Vault token', async () => {
      const answer = await callEmulator('GET', armUrl(''), { token: emulator.issueAccessToken('https://vault.azure.net') });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: { code: 'InvalidAuthenticationTokenAudience' } });
    });

    it('401 ExpiredAuthenticationToken for an expired token', async () => {
      const answer = await callEmulator('GET', armUrl(''), {
        token: emulator.issueAccessToken(emulator.armEndpoint, { expiresInSeconds: -60 }),
      });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: { code: 'ExpiredAuthenticationToken' } });
    });

    it('401 InvalidAuthenticationToken for a token the emulator did not sign', async () => {
      const [header, payload] = token.split('.');
      const answer = await callEmulator('GET', armUrl(''), { token: `${header ?? ''}.${payload ?? ''}.forged` });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: { code: 'InvalidAuthenticationToken' } });
    });

    it('accepts the public ARM audiences too', async () => {
      for (const audience of ['https://management.azure.com/', 'https://management.core.windows.net']) {
        const answer = await callEmulator('GET', armUrl(''), { token: emulator.issueAccessToken(audience) });
        expect(answer.status).toBe(200);
      }
    });
  });

  it('carries request ids and the remaining-reads counter on every answer', async () => {
    const answer = await callEmulator('GET', armUrl('/triggers/manual'), { token });
    expect(answer.headers['x-ms-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.headers['x-ms-correlation-request-id']).toBeDefined();
    expect(Number(answer.headers['x-ms-ratelimit-remaining-subscription-reads'])).toBeGreaterThan(0);
  });
});
