import { useEmulator } from '../support/emulatorEnvironment';
import { callEmulator, type EmulatorAnswer } from './emulatorTestKit';

/**
 * The emulator's Microsoft.ApiManagement named values over raw HTTP: what ARM and APIM answer (api-version,
 * 404s, ETag and If-Match, validation), the long-running writes and their faults, and the oracle.
 */
const subscriptionId = '5b0a1f2e-0000-4000-8000-000000000a91';
const resourceGroup = 'rg-apim';
const service = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ApiManagement/service/apim-one`;

describe('emulator: API Management named values (2022-08-01)', () => {
  const emulator = useEmulator({ conformanceCheck: false, environment: 'none' });
  let token: string;
  let counter = 0;
  const fresh = (prefix: string) => `${service}/namedValues/${prefix}-${++counter}`;

  beforeAll(() => {
    token = emulator.issueAccessToken(`${emulator.armEndpoint}/.default`);
  });
  afterEach(() => emulator.apiManagement.longRunning.reset());

  const call = (
    method: string,
    resourcePath: string,
    options: { body?: unknown; headers?: Record<string, string>; apiVersion?: string | null; token?: string | null } = {},
  ): Promise<EmulatorAnswer> => {
    const version = options.apiVersion === undefined ? '2022-08-01' : options.apiVersion;
    const query = version === null ? '' : `?api-version=${version}`;
    const bearer = options.token === null ? {} : { token: options.token ?? token };
    return callEmulator(method, `${emulator.armEndpoint}${resourcePath}${query}`, {
      ...bearer,
      ...(options.body !== undefined ? { body: options.body } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    });
  };
  const error = (answer: EmulatorAnswer) => (answer.body as { error: { code: string; message: string } }).error;
  const poll = async (answer: EmulatorAnswer) =>
    (await callEmulator('GET', String(answer.headers['azure-asyncoperation']), { token })).body as {
      status: string;
      error?: { code: string; message: string };
    };

  describe('ARM in front', () => {
    it('requires a bearer token and the api-version the SDK sends', async () => {
      const id = emulator.apiManagement.seedNamedValue(fresh('nv'), { value: 'plain-value' });
      expect((await call('GET', id, { token: null })).status).toBe(401);
      const missing = await call('GET', id, { apiVersion: null });
      expect([missing.status, error(missing).code]).toEqual([400, 'MissingApiVersionParameter']);
      const newer = await call('GET', id, { apiVersion: '2024-05-01' });
      expect([newer.status, error(newer).code]).toEqual([400, 'InvalidApiVersionParameter']);
    });

    it('404s: a resource group, a service, a named value that do not exist; a path APIM has no operation for', async () => {
      emulator.apiManagement.seedNamedValue(fresh('nv'), { value: 'plain-value' });
      const noGroup = await call(
        'GET',
        `/subscriptions/${subscriptionId}/resourceGroups/rg-none/providers/Microsoft.ApiManagement/service/x/namedValues/y`,
      );
      expect([noGroup.status, error(noGroup).code]).toEqual([404, 'ResourceGroupNotFound']);
      const noService = await call(
        'GET',
        `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ApiManagement/service/nope/namedValues/y`,
      );
      expect(noService.status).toBe(404);
      expect(error(noService)).toEqual({
        code: 'ResourceNotFound',
        message: `The Resource 'Microsoft.ApiManagement/service/nope' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      });
      const noValue = await call('GET', `${service}/namedValues/absent`);
      expect([noValue.status, error(noValue).code]).toEqual([404, 'ResourceNotFound']);
      const noValueSecret = await call('POST', `${service}/namedValues/absent/listValue`);
      expect(noValueSecret.status).toBe(404);
      const otherApi = await call('GET', `${service}/apis/echo`);
      expect([otherApi.status, error(otherApi).code]).toEqual([404, 'InvalidResourceType']);
    });

    it('injected faults by operation name, in ARM’s error shape', async () => {
      const id = emulator.apiManagement.seedNamedValue(fresh('nv'), { value: 'plain-value', secret: true });
      for (const operationId of ['NamedValue_Get', 'NamedValue_ListValue', 'NamedValue_Update']) {
        emulator.faults.add({ service: 'arm', operationId, status: 503 });
      }
      expect((await call('GET', id)).status).toBe(503);
      const secret = await call('POST', `${id}/listValue`);
      expect([secret.status, error(secret).code]).toEqual([503, 'ServiceUnavailable']);
      const patch = await call('PATCH', id, { body: { properties: { value: 'x' } }, headers: { 'if-match': '*' } });
      expect(patch.status).toBe(503);
      expect(emulator.apiManagement.valueOf(id)).toBe('plain-value');
      emulator.faults.add({ service: 'arm', operationId: 'ApiManagementOperationResults_Get', status: 429 });
      const accepted = await call('PATCH', id, { body: { properties: { value: 'x' } }, headers: { 'if-match': '*' } });
      const throttled = await callEmulator('GET', String(accepted.headers['azure-asyncoperation']), { token });
      expect([throttled.status, throttled.headers['retry-after']]).toEqual([429, '1']);
    });
  });

  describe('reads', () => {
    it('GET shows a plain value, never a secret one; POST listValue reveals it; both carry the ETag', async () => {
      const plain = emulator.apiManagement.seedNamedValue(fresh('plain'), { value: 'plain-value' });
      const secret = emulator.apiManagement.seedNamedValue(fresh('secret'), { value: 'secret-value', secret: true });
      const plainGet = await call('GET', plain);
      expect(plainGet.body).toMatchObject({ properties: { value: 'plain-value', secret: false } });
      const secretGet = await call('GET', secret);
      expect(secretGet.status).toBe(200);
      expect(secretGet.body).toMatchObject({ type: 'Microsoft.ApiManagement/service/namedValues', properties: { secret: true } });
      expect((secretGet.body as { properties: Record<string, unknown> }).properties['value']).toBeUndefined();
      const revealed = await call('POST', `${secret}/listValue`);
      expect(revealed.body).toEqual({ value: 'secret-value' });
      expect(revealed.headers['etag']).toBe(secretGet.headers['etag']);
    });

    it('names are matched without regard to case; the answer spells the ID as created', async () => {
      const id = emulator.apiManagement.seedNamedValue(fresh('MixedCase'), { value: 'plain-value' });
      const answer = await call('GET', id.toLowerCase());
      expect(answer.status).toBe(200);
      expect((answer.body as { id: string }).id).toBe(id);
    });

    it('a Key Vault reference: keyVault with its last refresh status, no value', async () => {
      emulator.keyVault.seed('apim-ref', 'referenced');
      const found = emulator.apiManagement.seedNamedValue(fresh('kv'), {
        keyVaultSecretIdentifier: `${emulator.keyVaultUri}secrets/apim-ref`,
      });
      const missing = emulator.apiManagement.seedNamedValue(fresh('kv'), {
        keyVaultSecretIdentifier: `${emulator.keyVaultUri}secrets/apim-none`,
      });
      const answer = await call('GET', found);
      expect(answer.body).toMatchObject({
        properties: {
          secret: true,
          keyVault: { secretIdentifier: `${emulator.keyVaultUri}secrets/apim-ref`, lastStatus: { code: 'Success' } },
        },
      });
      expect((answer.body as { properties: Record<string, unknown> }).properties['value']).toBeUndefined();
      expect((await call('POST', `${found}/listValue`)).body).toEqual({ value: 'referenced' });
      expect(
        ((await call('GET', missing)).body as { properties: { keyVault: { lastStatus: { code: string } } } }).properties.keyVault.lastStatus
          .code,
      ).not.toBe('Success');
    });
  });

  describe('writes', () => {
    it('PATCH needs If-Match; a stale one is 412 PreconditionFailed; the current ETag or * is accepted', async () => {
      const id = emulator.apiManagement.seedNamedValue(fresh('nv'), { value: 'v1' });
      const body = { properties: { value: 'v2' } };
      const none = await call('PATCH', id, { body });
      expect([none.status, error(none).code]).toEqual([400, 'ValidationError']);
      const stale = await call('PATCH', id, { body, headers: { 'if-match': '"AAAAAAAAAAA="' } });
      expect([stale.status, error(stale).code]).toEqual([412, 'PreconditionFailed']);
      const etag = String((await call('GET', id)).headers['etag']);
      const current = await call('PATCH', id, { body, headers: { 'if-match': etag } });
      expect(current.status).toBe(202);
      expect(await poll(current)).toMatchObject({ status: 'InProgress' });
      expect(await poll(current)).toMatchObject({ status: 'Succeeded' });
      expect(emulator.apiManagement.valueOf(id)).toBe('v2');
      expect((await call('GET', id)).headers['etag']).not.toBe(etag);
      const star = await call('PATCH', id, { body: { properties: { value: 'v3' } }, headers: { 'if-match': '*' } });
      expect(star.status).toBe(202);
    });

    it('an accepted write takes effect when its operation succeeds; the Location answers 202 until then', async () => {
      const id = emulator.apiManagement.seedNamedValue(fresh('nv'), { value: 'before' });
      emulator.apiManagement.longRunning.pollsInProgress = 2;
      const accepted = await call('PATCH', id, { body: { properties: { value: 'after' } }, headers: { 'if-match': '*' } });
      expect(accepted.status).toBe(202);
      expect(emulator.apiManagement.valueOf(id)).toBe('before');
      expect((await call('GET', id)).body).toMatchObject({ properties: { value: 'before' } });
      const location = String(accepted.headers['location']);
      expect((await callEmulator('GET', location, { token })).status).toBe(202);
      expect(await poll(accepted)).toMatchObject({ status: 'InProgress' });
      expect(await poll(accepted)).toMatchObject({ status: 'Succeeded' });
      const final = await callEmulator('GET', location, { token });
      expect(final.status).toBe(200);
      expect(final.body).toMatchObject({ properties: { value: 'after' } });
    });

    it('If-Match is evaluated on writes only: the SDK re-sends it on its poll GETs, and they are answered', async () => {
      const id = emulator.apiManagement.seedNamedValue(fresh('nv'), { value: 'before' });
      const etag = String((await call('GET', id)).headers['etag']);
      const accepted = await call('PATCH', id, { body: { properties: { value: 'after' } }, headers: { 'if-match': etag } });
      const headers = { 'if-match': etag };
      expect((await callEmulator('GET', String(accepted.headers['azure-asyncoperation']), { token, headers })).status).toBe(200);
      expect((await callEmulator('GET', String(accepted.headers['azure-asyncoperation']), { token, headers })).body).toMatchObject({
        status: 'Succeeded',
      });
      const final = await callEmulator('GET', String(accepted.headers['location']), { token, headers });
      expect(final.status).toBe(200);
      expect(final.headers['etag']).not.toBe(etag);
    });

    it('a write can complete synchronously: 200 with the entity and its new ETag', async () => {
      const id = emulator.apiManagement.seedNamedValue(fresh('nv'), { value: 'before', secret: true });
      emulator.apiManagement.longRunning.completion = 'synchronous';
      const answer = await call('PATCH', id, { body: { properties: { value: 'after' } }, headers: { 'if-match': '*' } });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ properties: { secret: true } });
      expect(answer.headers['etag']).toMatch(/^"/);
      expect(emulator.apiManagement.valueOf(id)).toBe('after');
    });

    it('a long-running fault: the operation ends Failed with its error, the write not applied', async () => {
      const id = emulator.apiManagement.seedNamedValue(fresh('nv'), { value: 'before' });
      emulator.apiManagement.longRunning.add({ outcome: 'failed', errorCode: 'OperationFailed', message: 'It broke.' });
      const accepted = await call('PATCH', id, { body: { properties: { value: 'after' } }, headers: { 'if-match': '*' } });
      expect(await poll(accepted)).toMatchObject({ status: 'InProgress' });
      expect(await poll(accepted)).toEqual(
        expect.objectContaining({ status: 'Failed', error: { code: 'OperationFailed', message: 'It broke.' } }),
      );
      expect(await poll(accepted)).toMatchObject({ status: 'Failed' });
      expect(emulator.apiManagement.valueOf(id)).toBe('before');
      const location = await callEmulator('GET', String(accepted.headers['location']), { token });
      expect([location.status, error(location).code]).toEqual([400, 'OperationFailed']);
      // Used up: the next write succeeds.
      const next = await call('PATCH', id, { body: { properties: { value: 'after' } }, headers: { 'if-match': '*' } });
      await poll(next);
      expect(await poll(next)).toMatchObject({ status: 'Succeeded' });
    });

    it('a long-running fault: the operation never completes', async () => {
      const id = emulator.apiManagement.seedNamedValue(fresh('nv'), { value: 'before' });
      emulator.apiManagement.longRunning.add({ outcome: 'neverCompletes' });
      emulator.apiManagement.longRunning.retryAfterSeconds = 1;
      const accepted = await call('PATCH', id, { body: { properties: { value: 'after' } }, headers: { 'if-match': '*' } });
      expect(accepted.headers['retry-after']).toBe('1');
      for (let i = 0; i < 5; i += 1) expect(await poll(accepted)).toMatchObject({ status: 'InProgress' });
      expect(emulator.apiManagement.valueOf(id)).toBe('before');
    });

    it('refuses what the spec refuses: an empty value, a bad display name, malformed JSON', async () => {
      const id = emulator.apiManagement.seedNamedValue(fresh('nv'), { value: 'before' });
      const headers = { 'if-match': '*' };
      const empty = await call('PATCH', id, { body: { properties: { value: '  ' } }, headers });
      expect(empty.status).toBe(400);
      expect(empty.body).toMatchObject({ error: { code: 'ValidationError', details: [{ target: 'value' }] } });
      const name = await call('PATCH', id, { body: { properties: { displayName: 'bad name!' } }, headers });
      expect([name.status, error(name).code]).toEqual([400, 'ValidationError']);
      const malformed = await call('PATCH', id, { body: '{"properties":', headers });
      expect(malformed.status).toBe(400);
      const noDisplayName = await call('PUT', fresh('nv'), { body: { properties: { value: 'x' } } });
      expect([noDisplayName.status, error(noDisplayName).code]).toEqual([400, 'ValidationError']);
      expect(emulator.apiManagement.valueOf(id)).toBe('before');
    });

    it('PUT creates (absent until its operation succeeds) and replaces; If-Match other than * on a new one is 412', async () => {
      const id = fresh('created');
      const body = { properties: { displayName: 'created', value: 'first', secret: true } };
      expect((await call('PUT', id, { body, headers: { 'if-match': '"AAAAAAAAAAE="' } })).status).toBe(412);
      const accepted = await call('PUT', id, { body });
      expect(accepted.status).toBe(202);
      expect((await call('GET', id)).status).toBe(404);
      await poll(accepted);
      expect(await poll(accepted)).toMatchObject({ status: 'Succeeded' });
      expect(emulator.apiManagement.find(id)).toMatchObject({ secret: true, displayName: 'created' });
      emulator.apiManagement.longRunning.completion = 'synchronous';
      const replaced = await call('PUT', id, { body: { properties: { displayName: 'created', value: 'second' } } });
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({ properties: { value: 'second', secret: false, tags: [] } });
    });
  });

  describe('the oracle: urlWorks', () => {
    it('a whole URL, checked as is', () => {
      const workflowId = emulator.logic.addWorkflow({ subscriptionId, resourceGroup, name: 'wf-url' });
      const url = emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary');
      const id = emulator.apiManagement.seedNamedValue(fresh('url'), { value: url });
      expect(emulator.apiManagement.urlWorks(id)).toBe(true);
      emulator.logic.regenerateAccessKey(workflowId, 'Primary');
      expect(emulator.apiManagement.urlWorks(id)).toBe(false);
    });

    it('a sig, completing the current URL of the workflow it was seeded with; either key', () => {
      const workflowId = emulator.logic.addWorkflow({ subscriptionId, resourceGroup, name: 'wf-sig' });
      const sigOf = (keyType: 'Primary' | 'Secondary') =>
        new URL(emulator.logic.currentCallbackUrl(workflowId, 'manual', keyType)).searchParams.get('sig') as string;
      const callsWorkflow = { workflowId, trigger: 'manual' };
      const secondary = emulator.apiManagement.seedNamedValue(fresh('sig'), { value: sigOf('Secondary'), secret: true, callsWorkflow });
      const encoded = emulator.apiManagement.seedNamedValue(fresh('sig'), { value: encodeURIComponent(sigOf('Primary')), callsWorkflow });
      const unknown = emulator.apiManagement.seedNamedValue(fresh('sig'), { value: sigOf('Primary') });
      expect(emulator.apiManagement.urlWorks(secondary)).toBe(true);
      expect(emulator.apiManagement.urlWorks(encoded)).toBe(true);
      expect(emulator.apiManagement.urlWorks(unknown)).toBe(false);
      emulator.logic.regenerateAccessKey(workflowId, 'Secondary');
      expect(emulator.apiManagement.urlWorks(secondary)).toBe(false);
      expect(emulator.apiManagement.urlWorks(encoded)).toBe(true);
    });

    it('a Key Vault reference: the latest version when versionless, the pinned one otherwise', () => {
      const workflowId = emulator.logic.addWorkflow({ subscriptionId, resourceGroup, name: 'wf-kv' });
      const first = emulator.keyVault.seed('apim-url', emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary'));
      const latest = emulator.apiManagement.seedNamedValue(fresh('kv'), {
        keyVaultSecretIdentifier: `${emulator.keyVaultUri}secrets/apim-url`,
      });
      const pinned = emulator.apiManagement.seedNamedValue(fresh('kv'), {
        keyVaultSecretIdentifier: `${emulator.keyVaultUri}secrets/apim-url/${first.version}`,
      });
      const absent = emulator.apiManagement.seedNamedValue(fresh('kv'), {
        keyVaultSecretIdentifier: `${emulator.keyVaultUri}secrets/absent`,
      });
      expect([emulator.apiManagement.urlWorks(latest), emulator.apiManagement.urlWorks(pinned)]).toEqual([true, true]);
      emulator.keyVault.seed('apim-url', emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Secondary'));
      emulator.logic.regenerateAccessKey(workflowId, 'Primary');
      expect([emulator.apiManagement.urlWorks(latest), emulator.apiManagement.urlWorks(pinned)]).toEqual([true, false]);
      expect(emulator.apiManagement.urlWorks(absent)).toBe(false);
      expect(emulator.apiManagement.urlWorks(fresh('never-seeded'))).toBe(false);
    });
  });
});
