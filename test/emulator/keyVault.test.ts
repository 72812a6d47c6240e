import { ManagedIdentityCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { callEmulator, useFidelityEmulator } from './emulatorTestKit';

describe('Key Vault secrets through @azure/keyvault-secrets', () => {
  const emulator = useFidelityEmulator('managedIdentity');
  let client: SecretClient;
  let token: string;

  beforeAll(() => {
    // A loopback vault cannot match the challenge's vault.azure.net resource: the documented opt-out.
    client = new SecretClient(emulator.keyVaultUri, new ManagedIdentityCredential(), { disableChallengeResourceVerification: true });
    token = emulator.issueAccessToken('https://vault.azure.net/.default');
  });

  it('sets versions with tags, content type and expiry, and gets the latest', async () => {
    const expiresOn = new Date(Date.now() + 60 * 24 * 3600 * 1000);
    const first = await client.setSecret('orders-manual-url', 'https://first.example/', {
      contentType: 'text/uri-list',
      tags: { keyType: 'Secondary' },
      expiresOn,
    });
    const second = await client.setSecret('orders-manual-url', 'https://second.example/', {
      contentType: 'text/uri-list',
      tags: { keyType: 'Primary' },
    });
    expect(first.properties.version).toMatch(/^[0-9a-f]{32}$/);
    expect(first.properties.id).toBe(`${emulator.keyVaultUri}secrets/orders-manual-url/${first.properties.version ?? ''}`);
    expect(first.properties.expiresOn?.getTime()).toBe(Math.floor(expiresOn.getTime() / 1000) * 1000);
    expect(first.properties.recoveryLevel).toBe('Recoverable+Purgeable');

    const latest = await client.getSecret('orders-manual-url');
    expect(latest).toMatchObject({
      value: 'https://second.example/',
      properties: { version: second.properties.version, tags: { keyType: 'Primary' }, contentType: 'text/uri-list' },
    });
    const pinned = await client.getSecret('orders-manual-url', { version: first.properties.version ?? '' });
    expect(pinned.value).toBe('https://first.example/');
    expect(emulator.keyVault.versions('orders-manual-url').map((version) => version.value)).toEqual([
      'https://first.example/',
      'https://second.example/',
    ]);
    expect(emulator.keyVault.latest('ORDERS-MANUAL-URL')?.version).toBe(second.properties.version);
  });

  it('lists versions and secrets across pages', async () => {
    for (let index = 0; index < 30; index += 1) emulator.keyVault.seed('paged', `value-${index}`);
    const versions = [];
    for await (const properties of client.listPropertiesOfSecretVersions('paged')) versions.push(properties.version);
    expect(versions).toHaveLength(30);
    const names = [];
    for await (const properties of client.listPropertiesOfSecrets()) names.push(properties.name);
    expect(names).toEqual(expect.arrayContaining(['orders-manual-url', 'paged']));
  });

  it("updates a version's properties without changing its value", async () => {
    const seeded = emulator.keyVault.seed('to-update', 'kept', { tags: { a: '1' } });
    const updated = await client.updateSecretProperties('to-update', seeded.version, { tags: { a: '2' }, enabled: false });
    expect(updated.tags).toEqual({ a: '2' });
    expect(emulator.keyVault.latest('to-update')).toMatchObject({ value: 'kept', enabled: false, tags: { a: '2' } });
    await expect(client.getSecret('to-update')).rejects.toMatchObject({ statusCode: 403 });
  });

  it("answers 404 SecretNotFound with Key Vault's wording", async () => {
    await expect(client.getSecret('never-written')).rejects.toMatchObject({ statusCode: 404, code: 'SecretNotFound' });
    const answer = await callEmulator('GET', `${emulator.keyVaultUri}secrets/never-written?api-version=7.6`, { token });
    expect((answer.body as { error: { message: string } }).error.message).toMatch(
      /^A secret with \(name\/id\) never-written was not found in this key vault/,
    );
  });

  it('validates names and tags as Key Vault does (400 BadParameter)', async () => {
    const badName = await callEmulator('PUT', `${emulator.keyVaultUri}secrets/bad_name?api-version=7.6`, { token, body: { value: 'x' } });
    expect(badName.status).toBe(400);
    expect(badName.body).toMatchObject({ error: { code: 'BadParameter' } });
    const tags = Object.fromEntries(Array.from({ length: 16 }, (_unused, index) => [`t${index}`, 'v']));
    await expect(client.setSecret('too-many-tags', 'x', { tags })).rejects.toMatchObject({ statusCode: 400, code: 'BadParameter' });
    await expect(client.setSecret('long-tag', 'x', { tags: { t: 'v'.repeat(257) } })).rejects.toMatchObject({ statusCode: 400 });
  });

  it('challenges a request without a token, and refuses a token for another audience', async () => {
    const anonymous = await callEmulator('GET', `${emulator.keyVaultUri}secrets/orders-manual-url?api-version=7.6`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe(
      `Bearer authorization="https://login.microsoft.com/${emulator.tenantId}", resource="https://vault.azure.net"`,
    );
    const armToken = await callEmulator('GET', `${emulator.keyVaultUri}secrets/orders-manual-url?api-version=7.6`, {
      token: emulator.issueAccessToken('https://management.azure.com/'),
    });
    expect(armToken.status).toBe(401);
    expect(armToken.body).toMatchObject({ error: { code: 'Unauthorized', message: expect.stringContaining('AKV10022') } });
  });

  it('refuses an unknown api-version', async () => {
    const answer = await callEmulator('GET', `${emulator.keyVaultUri}secrets/orders-manual-url?api-version=6.0`, { token });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: { code: 'BadParameter' } });
  });

  it('soft-deletes like Azure: the name reads as missing, a write is 409 ObjectIsDeletedButRecoverable, recover brings every version back', async () => {
    await client.setSecret('soft-deleted', 'https://one.example/', { tags: { keyType: 'Secondary' } });
    await client.setSecret('soft-deleted', 'https://two.example/', { tags: { keyType: 'Primary' } });
    await (await client.beginDeleteSecret('soft-deleted')).pollUntilDone();

    await expect(client.getSecret('soft-deleted')).rejects.toMatchObject({ statusCode: 404, code: 'SecretNotFound' });
    const deleted = await client.getDeletedSecret('soft-deleted');
    expect(deleted.properties).toMatchObject({
      recoveryId: `${emulator.keyVaultUri}deletedsecrets/soft-deleted`,
      tags: { keyType: 'Primary' },
    });
    expect(deleted.properties.deletedOn).toBeInstanceOf(Date);
    expect(deleted.properties.scheduledPurgeDate?.getTime()).toBeGreaterThan(Date.now() + 89 * 24 * 3600 * 1000);
    expect(deleted.value).toBeUndefined();
    const conflict = await client.setSecret('soft-deleted', 'https://three.example/').catch((error: unknown) => error);
    expect(conflict).toMatchObject({ statusCode: 409, code: 'Conflict' });
    const raw = await callEmulator('PUT', `${emulator.keyVaultUri}secrets/soft-deleted?api-version=7.6`, { token, body: { value: 'x' } });
    expect(raw.status).toBe(409);
    expect(raw.body).toMatchObject({ error: { code: 'Conflict', innererror: { code: 'ObjectIsDeletedButRecoverable' } } });
    await expect(client.getDeletedSecret('never-deleted')).rejects.toMatchObject({ statusCode: 404, code: 'SecretNotFound' });

    await (await client.beginRecoverDeletedSecret('soft-deleted')).pollUntilDone();
    expect((await client.getSecret('soft-deleted')).value).toBe('https://two.example/');
    expect(emulator.keyVault.versions('soft-deleted')).toHaveLength(2);
  });

  it('purges a deleted secret, freeing its name', async () => {
    await client.setSecret('purged', 'https://one.example/');
    await (await client.beginDeleteSecret('purged')).pollUntilDone();
    await client.purgeDeletedSecret('purged');

    await expect(client.getDeletedSecret('purged')).rejects.toMatchObject({ statusCode: 404 });
    expect((await client.setSecret('purged', 'https://fresh.example/')).value).toBe('https://fresh.example/');
  });
});
