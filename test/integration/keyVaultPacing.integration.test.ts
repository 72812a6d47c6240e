import type { TokenCredential } from '@azure/identity';
import { createRotationServices } from '../../src/composition/createRotationServices';
import { KeyVaultCallbackUrlStore } from '../../src/azure/keyVault/KeyVaultCallbackUrlStore';
import { vaultSecretBudgetPolicy } from '../../src/azure/keyVault/vaultSecretBudgetPolicy';
import { VaultSecretBudget } from '../../src/rotation/VaultSecretBudget';
import type { CallbackUrlPublication } from '../../src/rotation/ports';
import type { AzureEmulator } from '../../emulator/index';
import { resourceGroup, subscriptionId } from '../support/constants';
import { settingsFor, startTestEmulator, uniqueName, useEmulator } from '../support/emulatorEnvironment';
import { fastRetry } from '../support/fastRetry';

/**
 * Issue 15, item 3: publications are paced by a budget per vault (Key Vault's CREATE secret limit),
 * waiting for a token instead of bouncing off 429s, and a 429 from the vault resynchronises the
 * budget. Real SecretClient (through the product's store) against the emulator's throttled vault.
 */
const small = { create: { capacity: 5, refillPerSecond: 10 }, other: { capacity: 50, refillPerSecond: 50 } };
const emulator = useEmulator({ keyVaultThrottle: small });

const publication = (value: string): CallbackUrlPublication => ({
  value,
  contentType: 'text/uri-list',
  tags: {},
  expiresOn: new Date(Date.now() + 30 * 24 * 3600 * 1000),
});

/** The product's settings for this emulator (one target, which these tests never rotate). */
const settings = () =>
  settingsFor(emulator, [
    {
      workflowId: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Logic/workflows/unused`,
      secretName: 'unused',
    },
  ]);

/** Tokens of a second emulator, whose identity endpoint this worker's environment does not point at. */
function tokensOf(target: AzureEmulator): TokenCredential {
  return {
    getToken: () =>
      Promise.resolve({ token: target.issueAccessToken('https://vault.azure.net'), expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
}

function keyVaultAnswers(target: AzureEmulator, since: number) {
  return target.requests.slice(since).filter((record) => record.service === 'keyVault' && record.status !== 401);
}

describe('Key Vault pacing: a budget per vault', () => {
  it('makes publications above the burst wait for the vault instead of failing: all land, no 429', async () => {
    const services = createRotationServices(settings(), { retry: fastRetry, vaultSecretLimits: { ...small, headroom: 0.8 }, env: {} });
    const since = emulator.requests.length;
    const name = uniqueName('paced');
    // Four bursts' worth at once: without the budget, all but five would be refused.
    const published = await Promise.all(
      Array.from({ length: 20 }, (_, i) => services.store.publish(`${name}-${i}`, publication(`https://x/${i}`))),
    );
    expect(published.every((result) => /^[0-9a-f]{32}$/.test(result.version))).toBe(true);
    const answers = keyVaultAnswers(emulator, since);
    expect(answers.filter((record) => record.operationId === 'SetSecret' && record.status === 200)).toHaveLength(20);
    expect(answers.filter((record) => record.status === 429)).toEqual([]);
    await services.close();
  });

  it("counts reads against the vault's other bucket, apart from publications", async () => {
    const services = createRotationServices(settings(), { retry: fastRetry, vaultSecretLimits: { ...small, headroom: 0.8 }, env: {} });
    const since = emulator.requests.length;
    const name = uniqueName('read');
    emulator.keyVault.seed(name, 'https://x/');
    const reads = await Promise.all(Array.from({ length: 120 }, () => services.store.readLatest(name)));
    expect(reads.every((read) => read?.value === 'https://x/')).toBe(true);
    expect(keyVaultAnswers(emulator, since).filter((record) => record.status === 429)).toEqual([]);
    await services.close();
  });

  for (const retryAfter of [true, false]) {
    it(`resynchronises from a 429 ${retryAfter ? 'with' : 'without'} Retry-After when another client drained the vault`, async () => {
      const vault = await startTestEmulator({
        keyVaultThrottle: { create: { capacity: 1, refillPerSecond: 1 }, other: { capacity: 100, refillPerSecond: 100 }, retryAfter },
      });
      try {
        const credential = tokensOf(vault);
        // Our model believes the vault is full; its refill is slow, so that "emptied" stays observable.
        const budget = new VaultSecretBudget({
          create: { capacity: 300, refillPerSecond: 0.5 },
          other: { capacity: 100, refillPerSecond: 100 },
        });
        const store = new KeyVaultCallbackUrlStore(credential, vault.keyVaultUri, fastRetry, [vaultSecretBudgetPolicy(budget)]);
        const key = new URL(vault.keyVaultUri).origin;
        // Another client of the same vault takes its one CREATE token behind our back.
        const other = new KeyVaultCallbackUrlStore(credential, vault.keyVaultUri, fastRetry);
        await other.publish('someone-else', publication('https://other/'));
        const since = vault.requests.length;

        const { version } = await store.publish('ours', publication('https://ours/'));

        expect(vault.keyVault.latest('ours')?.version).toBe(version);
        const answers = keyVaultAnswers(vault, since).filter((record) => record.operationId === 'SetSecret');
        expect(answers.map((record) => record.status)).toEqual([429, 200]);
        // The 429 emptied our bucket (our own accounting still had 284 tokens), reads untouched.
        expect(budget.available(key, 'create')).toBe(false);
        expect(budget.available(key, 'other')).toBe(true);
      } finally {
        await vault.stop();
      }
    });
  }
});
