import { ManagedIdentityCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { callEmulator, useFidelityEmulator } from './emulatorTestKit';

describe('fault injection', () => {
  const emulator = useFidelityEmulator('managedIdentity');
  let token: string;
  let workflowId: string;
  let workflowUrl: string;

  beforeAll(() => {
    workflowId = emulator.logic.addWorkflow({ subscriptionId: 'sub-faults', resourceGroup: 'rg', name: 'fragile' });
    workflowUrl = `${emulator.armEndpoint}${workflowId}`;
    token = emulator.issueAccessToken(emulator.armEndpoint);
  });

  const regenerate = (keyType = 'Secondary') =>
    callEmulator('POST', `${workflowUrl}/regenerateAccessKey?api-version=2019-05-01`, { token, body: { keyType } });

  it("answers with the status, in ARM's error shape, then recovers after `times`", async () => {
    emulator.faults.add({ operationId: 'Workflows_RegenerateAccessKey', status: 503, times: 2 });
    const before = emulator.logic.keyVersionOf(workflowId, 'Secondary');
    const first = await regenerate();
    const second = await regenerate();
    const third = await regenerate();
    expect([first.status, second.status, third.status]).toEqual([503, 503, 200]);
    expect(first.body).toMatchObject({ error: { code: 'ServiceUnavailable' } });
    expect(first.headers['x-ms-request-id']).toBeDefined();
    // A fault before processing leaves the key alone.
    expect(emulator.logic.keyVersionOf(workflowId, 'Secondary')).toBe(before + 1);
  });

  it('afterProcessing: the key changes although the call reports a failure', async () => {
    emulator.faults.add({
      operationId: 'Workflows_RegenerateAccessKey',
      status: 500,
      errorCode: 'InternalServerError',
      afterProcessing: true,
    });
    const before = emulator.logic.keyVersionOf(workflowId, 'Primary');
    const answer = await regenerate('Primary');
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({ error: { code: 'InternalServerError' } });
    expect(emulator.logic.keyVersionOf(workflowId, 'Primary')).toBe(before + 1);
  });

  it('dropConnection: the client sees a network error and the request is recorded with status 0', async () => {
    emulator.faults.add({ service: 'arm', pathIncludes: '/regenerateAccessKey', dropConnection: true });
    await expect(regenerate()).rejects.toThrow();
    expect(emulator.requests.at(-1)).toMatchObject({
      service: 'arm',
      operationId: 'Workflows_RegenerateAccessKey',
      status: 0,
      subscriptionId: 'sub-faults',
    });
  });

  it('429 faults carry Retry-After', async () => {
    emulator.faults.add({ service: 'arm', method: 'GET', status: 429, retryAfterSeconds: 7 });
    const answer = await callEmulator('GET', `${workflowUrl}?api-version=2019-05-01`, { token });
    expect(answer.status).toBe(429);
    expect(answer.headers['retry-after']).toBe('7');
    expect(answer.body).toMatchObject({ error: { code: 'SubscriptionRequestsThrottled' } });
  });

  it("applies to Key Vault in Key Vault's error shape, seen through the SDK", async () => {
    const client = new SecretClient(emulator.keyVaultUri, new ManagedIdentityCredential(), {
      disableChallengeResourceVerification: true,
      retryOptions: { maxRetries: 0 },
    });
    await client.setSecret('warm-up', 'x');
    emulator.faults.add({
      service: 'keyVault',
      operationId: 'SetSecret',
      status: 403,
      errorCode: 'Forbidden',
      message: 'Caller is not authorized.',
    });
    await expect(client.setSecret('denied', 'x')).rejects.toMatchObject({ statusCode: 403, code: 'Forbidden' });
    expect(emulator.keyVault.versions('denied')).toHaveLength(0);
  });

  it('delayMs only slows a request down when no status is given', async () => {
    emulator.faults.add({ operationId: 'Workflows_Get', delayMs: 50 });
    const answer = await callEmulator('GET', `${workflowUrl}?api-version=2019-05-01`, { token });
    expect(answer.status).toBe(200);
  });

  it('Infinity keeps failing until cleared', async () => {
    emulator.faults.add({ service: 'logicRuntime', status: 502, times: Infinity });
    const url = emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary');
    for (let attempt = 0; attempt < 3; attempt += 1) expect((await callEmulator('POST', url)).status).toBe(502);
    emulator.faults.clear();
    expect((await callEmulator('POST', url)).status).toBe(202);
  });
});
