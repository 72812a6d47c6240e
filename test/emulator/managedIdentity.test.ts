import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { callEmulator, useFidelityEmulator } from './emulatorTestKit';

function claimsOf(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('managed identity endpoint (App Service IDENTITY_ENDPOINT)', () => {
  const emulator = useFidelityEmulator('managedIdentity');

  it('gives ManagedIdentityCredential a JWT for the requested audience, valid for an hour', async () => {
    const credential = new ManagedIdentityCredential();
    const accessToken = await credential.getToken(`${emulator.armEndpoint}/.default`);
    const claims = claimsOf(accessToken.token);
    expect(claims).toMatchObject({
      aud: emulator.armEndpoint,
      iss: `https://sts.windows.net/${emulator.tenantId}/`,
      tid: emulator.tenantId,
      appid: emulator.managedIdentity.clientId,
      oid: emulator.managedIdentity.objectId,
    });
    const lifetimeSeconds = (accessToken.expiresOnTimestamp - Date.now()) / 1000;
    expect(lifetimeSeconds).toBeGreaterThan(3000);
    expect(lifetimeSeconds).toBeLessThanOrEqual(3600);
    expect(emulator.requests).toContainEqual(
      expect.objectContaining({ service: 'identity', operationId: 'ManagedIdentityToken', status: 200 }),
    );
  });

  it('serves DefaultAzureCredential restricted to managed identity, as the Function App runs it', async () => {
    const saved = process.env['AZURE_TOKEN_CREDENTIALS'];
    process.env['AZURE_TOKEN_CREDENTIALS'] = 'ManagedIdentityCredential';
    try {
      const accessToken = await new DefaultAzureCredential().getToken('https://vault.azure.net/.default');
      expect(claimsOf(accessToken.token)['aud']).toBe('https://vault.azure.net');
    } finally {
      if (saved === undefined) delete process.env['AZURE_TOKEN_CREDENTIALS'];
      else process.env['AZURE_TOKEN_CREDENTIALS'] = saved;
    }
  });

  it('issues tokens for a user-assigned identity selected by client_id', async () => {
    const clientId = '11111111-2222-3333-4444-555555555555';
    const accessToken = await new ManagedIdentityCredential({ clientId }).getToken('https://vault.azure.net/.default');
    expect(claimsOf(accessToken.token)['appid']).toBe(clientId);
  });

  it('answers the App Service request shape: token_type, resource and expires_on in unix seconds as a string', async () => {
    const answer = await callEmulator('GET', `${emulator.identityEndpoint}?api-version=2019-08-01&resource=https%3A%2F%2Fvault.azure.net`, {
      headers: { 'X-IDENTITY-HEADER': emulator.identityHeader },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      token_type: 'Bearer',
      resource: 'https://vault.azure.net',
      client_id: emulator.managedIdentity.clientId,
    });
    expect((answer.body as { expires_on: string }).expires_on).toMatch(/^\d{10}$/);
  });

  it('refuses a request without the right X-IDENTITY-HEADER', async () => {
    const missing = await callEmulator('GET', `${emulator.identityEndpoint}?api-version=2019-08-01&resource=https%3A%2F%2Fvault.azure.net`);
    const wrong = await callEmulator('GET', `${emulator.identityEndpoint}?api-version=2019-08-01&resource=https%3A%2F%2Fvault.azure.net`, {
      headers: { 'X-IDENTITY-HEADER': 'not-the-secret' },
    });
    expect(missing.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ statusCode: 401, message: expect.stringContaining('X-IDENTITY-HEADER') });
  });

  it('refuses an api-version other than 2019-08-01', async () => {
    const answer = await callEmulator('GET', `${emulator.identityEndpoint}?api-version=2017-09-01&resource=https%3A%2F%2Fvault.azure.net`, {
      headers: { 'X-IDENTITY-HEADER': emulator.identityHeader },
    });
    expect(answer.status).toBe(400);
  });
});
