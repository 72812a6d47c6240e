import { TokenBudget } from '../../src/rotation/TokenBudget';
import { defaultThrottledPauseMs, keyVaultSecretLimits, VaultSecretBudget } from '../../src/rotation/VaultSecretBudget';
import { secretTransaction } from '../../src/azure/keyVault/vaultSecretBudgetPolicy';

const settle = () => new Promise((resolve) => setImmediate(resolve));
const vault = 'https://kv.vault.azure.net';

describe('VaultSecretBudget: Key Vault secret transactions per vault', () => {
  it("models Learn's published limits: CREATE secret 300, all other transactions 4,000, per 10 seconds", () => {
    expect(keyVaultSecretLimits).toEqual({
      create: { capacity: 300, refillPerSecond: 30 },
      other: { capacity: 4000, refillPerSecond: 400 },
    });
  });

  it('grants the burst at once, then makes the next publication wait for a refill instead of failing', async () => {
    let now = 0;
    const budget = new VaultSecretBudget(
      { create: { capacity: 2, refillPerSecond: 1 }, other: { capacity: 10, refillPerSecond: 1 }, headroom: 1 },
      () => now,
    );
    await budget.take(vault, 'create');
    await budget.take(vault, 'create');
    let granted = false;
    const waiting = budget.take(vault, 'create').then(() => (granted = true));
    await settle();
    expect(granted).toBe(false);
    // Other transactions have their own bucket, and another vault its own pair.
    expect(budget.available(vault, 'other')).toBe(true);
    expect(budget.available('https://other.vault.azure.net', 'create')).toBe(true);
    now += 1000;
    await waiting;
    expect(granted).toBe(true);
  });

  it("empties and holds the bucket for a 429's Retry-After, then refills from there", () => {
    let now = 0;
    const budget = new VaultSecretBudget(
      { create: { capacity: 300, refillPerSecond: 30 }, other: { capacity: 10, refillPerSecond: 1 }, headroom: 1 },
      () => now,
    );
    expect(budget.available(vault, 'create')).toBe(true);
    budget.throttled(vault, 'create', 5000);
    expect(budget.available(vault, 'create')).toBe(false);
    expect(budget.available(vault, 'other')).toBe(true);
    now += 4999;
    expect(budget.available(vault, 'create')).toBe(false);
    // 5 s paused, then one token every 1/30 s.
    now = 5000 + 34;
    expect(budget.available(vault, 'create')).toBe(true);
  });

  it('spends 95 % of each published limit by default: slack for requests that arrive out of order', async () => {
    let now = 0;
    const budget = new VaultSecretBudget(keyVaultSecretLimits, () => now);
    for (let i = 0; i < 285; i++) await budget.take(vault, 'create');
    expect(budget.available(vault, 'create')).toBe(false);
    now += 1000 / 28.5 + 1;
    expect(budget.available(vault, 'create')).toBe(true);
  });

  it('pauses for the first step of the documented backoff when a 429 carries no Retry-After', () => {
    let now = 0;
    const budget = new VaultSecretBudget(keyVaultSecretLimits, () => now);
    budget.throttled(vault, 'other', undefined);
    now += defaultThrottledPauseMs - 1;
    expect(budget.available(vault, 'other')).toBe(false);
    now += 10;
    expect(budget.available(vault, 'other')).toBe(true);
  });

  it('ends the wait when the abort signal fires', async () => {
    const budget = new TokenBudget({ capacity: 1, refillPerSecond: 0.001 }, () => 0);
    await budget.take('k');
    const controller = new AbortController();
    const waiting = budget.take('k', controller.signal).then(
      () => 'granted',
      () => 'aborted',
    );
    await settle();
    controller.abort();
    expect(await waiting).toBe('aborted');
  });

  it('counts SetSecret as CREATE and everything else as other', () => {
    expect(secretTransaction({ method: 'PUT', url: `${vault}/secrets/orders-url?api-version=2025-07-01` })).toBe('create');
    expect(secretTransaction({ method: 'GET', url: `${vault}/secrets/orders-url?api-version=2025-07-01` })).toBe('other');
    expect(secretTransaction({ method: 'GET', url: `${vault}/secrets/orders-url/versions?api-version=2025-07-01` })).toBe('other');
    expect(secretTransaction({ method: 'PATCH', url: `${vault}/secrets/orders-url/abc?api-version=2025-07-01` })).toBe('other');
    expect(secretTransaction({ method: 'GET', url: `${vault}/deletedsecrets/orders-url?api-version=2025-07-01` })).toBe('other');
  });
});
