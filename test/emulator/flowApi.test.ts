import { ManagedIdentityCredential } from '@azure/identity';
import { callEmulator, useFidelityEmulator, type CallbackUrlBody } from './emulatorTestKit';

const environment = 'Default-72f988bf-0000-4000-8000-00000000e7a1';
const flowScope = 'https://service.flow.microsoft.com/.default';

describe('Power Automate Flow API (2016-11-01)', () => {
  const emulator = useFidelityEmulator('managedIdentity');
  let token: string;
  let classicId: string;
  let modernId: string;
  let wrappedId: string;
  let oauthId: string;

  beforeAll(async () => {
    classicId = emulator.flows.addFlow({ environment, name: '0e8a3f50-1c2b-4d3e-9f40-5a6b7c8d9e01' });
    modernId = emulator.flows.addFlow({ environment, urlStyle: 'environment' });
    wrappedId = emulator.flows.addFlow({ environment, wrapResponses: true, urlStyle: 'environment' });
    oauthId = emulator.flows.addFlow({ environment, urlStyle: 'environment', triggerAuthentication: 'oauth' });
    token = (await new ManagedIdentityCredential().getToken(flowScope)).token;
  });

  /** `apiVersion: null` leaves the parameter out. */
  const flowApi = (flowId: string, suffix: string, options: { apiVersion?: string | null; token?: string; body?: unknown } = {}) => {
    const apiVersion = options.apiVersion === undefined ? '2016-11-01' : options.apiVersion;
    return callEmulator('POST', `${emulator.flowApiEndpoint}${flowId}${suffix}${apiVersion === null ? '' : `?api-version=${apiVersion}`}`, {
      token: options.token ?? token,
      ...(options.body !== undefined ? { body: options.body } : {}),
    });
  };
  const regenerate = (flowId: string) => flowApi(flowId, '/regenerateAccessKey');
  const listCallbackUrl = async (flowId: string): Promise<CallbackUrlBody> => {
    const answer = await flowApi(flowId, '/triggers/manual/listCallbackUrl');
    expect(answer.status).toBe(200);
    return answer.body as CallbackUrlBody;
  };

  it('is a service of its own, named in environment() as FLOW_API_ENDPOINT', () => {
    expect(emulator.flowApiEndpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(emulator.flowApiEndpoint).not.toBe(emulator.armEndpoint);
    expect(emulator.environment()['FLOW_API_ENDPOINT']).toBe(emulator.flowApiEndpoint);
    expect(classicId).toBe(`/providers/Microsoft.ProcessSimple/environments/${environment}/flows/0e8a3f50-1c2b-4d3e-9f40-5a6b7c8d9e01`);
    expect(modernId).toMatch(new RegExp(`^/providers/Microsoft\\.ProcessSimple/environments/${environment}/flows/[0-9a-f-]{36}$`));
  });

  it('lists a classic callback URL (the logic.azure.com path shape) that starts the flow', async () => {
    const answer = await listCallbackUrl(classicId);
    const workflowId = emulator.flows.find(classicId)?.accessEndpointId ?? '';
    expect(workflowId).toMatch(/^[0-9a-f]{32}$/);
    expect(answer).toEqual({
      value: expect.stringMatching(
        new RegExp(
          `^${emulator.logicRuntimeEndpoint}/workflows/${workflowId}/triggers/manual/paths/invoke\\?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1\\.0&sig=[A-Za-z0-9_-]{43}$`,
        ),
      ),
      method: 'POST',
      basePath: `${emulator.logicRuntimeEndpoint}/workflows/${workflowId}/triggers/manual/paths/invoke`,
      queries: { 'api-version': '2016-06-01', sp: '/triggers/manual/run', sv: '1.0', sig: expect.any(String) },
    });
    expect(answer.value).toBe(emulator.flows.currentCallbackUrl(classicId));
    expect((await callEmulator('POST', answer.value, { body: {} })).status).toBe(202);
  });

  it('lists an environment-style URL (/powerautomate/automations/direct/…, api-version=1)', async () => {
    const answer = await listCallbackUrl(modernId);
    expect(answer.value).toMatch(
      new RegExp(
        `^${emulator.logicRuntimeEndpoint}/powerautomate/automations/direct/workflows/[0-9a-f]{32}/triggers/manual/paths/invoke\\?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1\\.0&sig=`,
      ),
    );
    expect(answer.queries['api-version']).toBe('1');
    expect((await callEmulator('POST', answer.value)).status).toBe(202);
  });

  it('has one key: regenerating it is a hard cut for every URL style', async () => {
    for (const flowId of [classicId, modernId]) {
      const before = await listCallbackUrl(flowId);
      expect(emulator.flows.isCallbackUrlValid(before.value)).toBe(true);
      const version = emulator.flows.keyVersionOf(flowId);

      const answer = await regenerate(flowId);
      expect(answer.status).toBe(200);
      expect(answer.text).toBe('');

      expect(emulator.flows.keyVersionOf(flowId)).toBe(version + 1);
      expect(emulator.flows.isCallbackUrlValid(before.value)).toBe(false);
      expect(emulator.logic.isCallbackUrlValid(before.value)).toBe(false);
      expect((await callEmulator('POST', before.value)).status).toBe(401);
      const after = await listCallbackUrl(flowId);
      expect(after.queries['sig']).not.toBe(before.queries['sig']);
      expect(emulator.logic.isCallbackUrlValid(after.value)).toBe(true);
      expect((await callEmulator('POST', after.value)).status).toBe(202);
    }
  });

  it('ignores a keyType body: there is nothing but the one key', async () => {
    const version = emulator.flows.keyVersionOf(classicId);
    expect((await flowApi(classicId, '/regenerateAccessKey', { body: { keyType: 'Secondary' } })).status).toBe(200);
    expect(emulator.flows.keyVersionOf(classicId)).toBe(version + 1);
  });

  it('emulator.logic answers for flows too, with the Primary key only', () => {
    const version = emulator.flows.keyVersionOf(modernId);
    expect(emulator.logic.keyVersionOf(modernId, 'Primary')).toBe(version);
    expect(emulator.logic.currentCallbackUrl(modernId, 'manual', 'Primary')).toBe(emulator.flows.currentCallbackUrl(modernId));
    emulator.logic.regenerateAccessKey(modernId, 'Primary');
    expect(emulator.flows.keyVersionOf(modernId)).toBe(version + 1);
    expect(() => emulator.logic.regenerateAccessKey(modernId, 'Secondary')).toThrow(/one key/);
  });

  it('wraps every successful answer of a flow configured so', async () => {
    const listed = await flowApi(wrappedId, '/triggers/manual/listCallbackUrl');
    expect(listed.status).toBe(200);
    const wrapped = listed.body as { response: CallbackUrlBody };
    expect(Object.keys(listed.body as object)).toEqual(['response']);
    expect(wrapped.response).toMatchObject({ method: 'POST', queries: { 'api-version': '1', sv: '1.0' } });
    expect(emulator.logic.isCallbackUrlValid(wrapped.response.value)).toBe(true);

    const regenerated = await regenerate(wrappedId);
    expect(regenerated.status).toBe(200);
    expect(regenerated.body).toEqual({ response: {} });
    expect(emulator.logic.isCallbackUrlValid(wrapped.response.value)).toBe(false);
  });

  it('an OAuth-only trigger has a URL without sig/sv/sp, valid only with a Flow bearer token', async () => {
    const answer = await listCallbackUrl(oauthId);
    expect(answer.queries).toEqual({ 'api-version': '1' });
    const url = new URL(answer.value);
    expect([...url.searchParams.keys()]).toEqual(['api-version']);
    expect(emulator.logic.isCallbackUrlValid(answer.value)).toBe(false);
    expect(emulator.logic.checkCallbackUrl(url)).toMatchObject({
      valid: false,
      reason: 'oauthRequired',
      target: { host: 'powerAutomate', workflowId: oauthId },
    });

    expect((await callEmulator('POST', answer.value)).status).toBe(401);
    expect((await callEmulator('POST', answer.value, { token: emulator.issueAccessToken(emulator.armEndpoint) })).status).toBe(401);
    expect((await callEmulator('POST', answer.value, { token })).status).toBe(202);
    // Regenerating the key does not change an OAuth-only URL.
    expect((await regenerate(oauthId)).status).toBe(200);
    expect((await listCallbackUrl(oauthId)).value).toBe(answer.value);
  });

  it('accepts the Flow audience with or without the trailing slash, and refuses every other audience (401)', async () => {
    for (const audience of ['https://service.flow.microsoft.com', 'https://service.flow.microsoft.com/']) {
      expect((await flowApi(classicId, '/triggers/manual/listCallbackUrl', { token: emulator.issueAccessToken(audience) })).status).toBe(
        200,
      );
    }
    for (const audience of [`${emulator.armEndpoint}/`, 'https://management.azure.com/', 'https://service.powerapps.com/']) {
      const refused = await flowApi(classicId, '/regenerateAccessKey', { token: emulator.issueAccessToken(audience) });
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({ error: { code: 'InvalidAuthenticationTokenAudience' } });
    }
    const anonymous = await callEmulator('POST', `${emulator.flowApiEndpoint}${classicId}/regenerateAccessKey?api-version=2016-11-01`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toContain('Bearer');
    const expired = await flowApi(classicId, '/regenerateAccessKey', {
      token: emulator.issueAccessToken(flowScope, { expiresInSeconds: -60 }),
    });
    expect(expired.body).toMatchObject({ error: { code: 'ExpiredAuthenticationToken' } });
  });

  it('requires api-version 2016-11-01 (400), and the key stays as it was', async () => {
    const version = emulator.flows.keyVersionOf(classicId);
    const missing = await flowApi(classicId, '/regenerateAccessKey', { apiVersion: null });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      error: {
        code: 'MissingApiVersionParameter',
        message: 'The api-version query parameter (?api-version=) is required for all requests.',
      },
    });
    const logicVersion = await flowApi(classicId, '/regenerateAccessKey', { apiVersion: '2019-05-01' });
    expect(logicVersion.status).toBe(400);
    expect(logicVersion.body).toMatchObject({ error: { code: 'InvalidApiVersionParameter' } });
    expect(emulator.flows.keyVersionOf(classicId)).toBe(version);
  });

  it('answers 404 FlowNotFound / EnvironmentNotFound / WorkflowTriggerNotFound in the Flow error shape', async () => {
    const missingFlow = await regenerate(
      `/providers/Microsoft.ProcessSimple/environments/${environment}/flows/11111111-2222-3333-4444-555555555555`,
    );
    expect(missingFlow.status).toBe(404);
    expect(missingFlow.body).toEqual({
      error: { code: 'FlowNotFound', message: "Could not find flow '11111111-2222-3333-4444-555555555555'." },
    });
    const missingEnvironment = await regenerate('/providers/Microsoft.ProcessSimple/environments/nowhere/flows/abc');
    expect(missingEnvironment.status).toBe(404);
    expect(missingEnvironment.body).toMatchObject({ error: { code: 'EnvironmentNotFound' } });
    const missingTrigger = await flowApi(classicId, '/triggers/other/listCallbackUrl');
    expect(missingTrigger.status).toBe(404);
    expect(missingTrigger.body).toMatchObject({ error: { code: 'WorkflowTriggerNotFound' } });
  });

  it('answers 400 ApiNotSupported for a flow whose trigger is not a Request trigger', async () => {
    const scheduled = emulator.flows.addFlow({ environment, trigger: 'Recurrence', triggerKind: 'Recurrence' });
    const answer = await flowApi(scheduled, '/triggers/Recurrence/listCallbackUrl');
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: { code: 'ApiNotSupported' } });
  });

  it('reproduces the seed: the call reports failure, yet the key (and so sig) changed', async () => {
    const before = await listCallbackUrl(classicId);
    emulator.faults.add({ service: 'flow', operationId: 'Flows_RegenerateAccessKey', status: 500, afterProcessing: true });
    const answer = await regenerate(classicId);
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({ error: { code: 'InternalServerError' } });
    expect(answer.headers['x-ms-request-id']).toBeDefined();
    const after = await listCallbackUrl(classicId);
    expect(after.queries['sig']).not.toBe(before.queries['sig']);
    expect(emulator.logic.isCallbackUrlValid(before.value)).toBe(false);
  });

  it('faults before processing leave the key alone, and carry Retry-After on 429', async () => {
    const version = emulator.flows.keyVersionOf(modernId);
    emulator.faults.add({ service: 'flow', operationId: 'Flows_RegenerateAccessKey', status: 429, retryAfterSeconds: 3 });
    const answer = await regenerate(modernId);
    expect(answer.status).toBe(429);
    expect(answer.headers['retry-after']).toBe('3');
    expect(emulator.flows.keyVersionOf(modernId)).toBe(version);
    emulator.faults.add({ service: 'flow', operationId: 'FlowTriggers_ListCallbackUrl', dropConnection: true });
    await expect(flowApi(modernId, '/triggers/manual/listCallbackUrl')).rejects.toThrow();
  });

  it('records each Flow API request with its operationId and no query string', () => {
    const flowRequests = emulator.requests.filter((request) => request.service === 'flow');
    const operations = new Set(flowRequests.map((request) => request.operationId));
    expect(operations).toEqual(new Set(['Flows_RegenerateAccessKey', 'FlowTriggers_ListCallbackUrl']));
    expect(flowRequests.some((request) => request.status === 0)).toBe(true);
    for (const request of flowRequests) expect(request.path).not.toContain('?');
    const invocations = emulator.requests.filter((request) => request.service === 'logicRuntime');
    expect(invocations.every((request) => request.operationId === 'InvokeTrigger')).toBe(true);
  });

  it('never hands out a sig it does not report in issuedSecrets', async () => {
    const { sigs } = emulator.issuedSecrets();
    const current = await listCallbackUrl(modernId);
    expect(emulator.issuedSecrets().sigs).toContain(current.queries['sig']);
    expect(sigs.length).toBeGreaterThan(0);
  });
});
