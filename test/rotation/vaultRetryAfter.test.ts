import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { vaultSecretBudgetPolicy } from '../../src/azure/keyVault/vaultSecretBudgetPolicy';
import { defaultRetrySettings } from '../../src/azure/core/azureRetryPolicy';
import { TokenBudget } from '../../src/rotation/TokenBudget';
import { keyVaultSecretLimits, VaultSecretBudget } from '../../src/rotation/VaultSecretBudget';

/**
 * Key Vault pacing (issue 15's adversarial review): what a 429's Retry-After does to the
 * budget. The budget lives as long as the process (src/composition/processServices caches the services), so
 * whatever it is told to wait outlives the run that was told.
 */
const vault = 'https://kv.vault.azure.net';
const minute = 60_000;

/** One SetSecret through the budget's pipeline policy, answered 429 with this Retry-After. */
async function throttledSetSecret(budget: VaultSecretBudget, retryAfter: string): Promise<void> {
  const request = createPipelineRequest({ url: `${vault}/secrets/orders-url?api-version=2025-07-01`, method: 'PUT' });
  request.headers.set('authorization', 'Bearer not-a-real-token');
  const response: PipelineResponse = { request, status: 429, headers: createHttpHeaders({ 'retry-after': retryAfter }) };
  await vaultSecretBudgetPolicy(budget).sendRequest(request, () => Promise.resolve(response));
}

describe('a Retry-After the budget is told to honour', () => {
  it("a 429 asking for a day does not hold the vault's publications for a day (the next timer runs of a warm process publish nothing)", async () => {
    let now = 0;
    const budget = new VaultSecretBudget(keyVaultSecretLimits, () => now);
    await throttledSetSecret(budget, String(24 * 3600));
    // The retry policy gives up on any single wait above maxSingleWaitInMs (30 s) and lets the next run retry;
    // Key Vault's window is 10 s. A minute later the vault's publications must go out again.
    now += Math.max(minute, defaultRetrySettings.maxSingleWaitInMs * 2);
    // Before the fix: paused for the whole day; every later run of this process waits until its deadline.
    expect(budget.available(vault, 'create')).toBe(true);
  });

  it('a malformed, huge Retry-After (1e308 seconds) does not pause the vault for ever', async () => {
    let now = 0;
    const budget = new VaultSecretBudget(keyVaultSecretLimits, () => now);
    await throttledSetSecret(budget, '1e308');
    now += 10 * minute;
    // Before the fix: 1e308 s is Infinity ms: pausedUntil = Infinity, the vault never refills in this process.
    expect(budget.available(vault, 'create')).toBe(true);
  });

  it('a pause longer than setTimeout can hold is waited with few timers, not a 1 ms busy loop', async () => {
    const budget = new TokenBudget({ capacity: 1, refillPerSecond: 1 });
    await budget.take('k');
    // Retry-After of 30 days (2,592,000 s): more than setTimeout's 2^31-1 ms, which Node clamps to 1 ms.
    budget.throttled('k', 30 * 24 * 3600 * 1000);
    const timers = jest.spyOn(global, 'setTimeout');
    const controller = new AbortController();
    const waiting = budget.take('k', controller.signal).then(
      () => 'granted',
      () => 'aborted',
    );
    await new Promise((resolve) => setImmediate(resolve));
    const before = timers.mock.calls.length;
    await new Promise((resolve) => {
      const end = Date.now() + 300;
      const spin = () => (Date.now() >= end ? resolve(undefined) : setImmediate(spin));
      spin();
    });
    const during = timers.mock.calls.length - before;
    controller.abort();
    expect(await waiting).toBe('aborted');
    timers.mockRestore();
    // Before the fix: ~250 timers of 1 ms in 300 ms (Node's TimeoutOverflowWarning clamp): a busy loop for 30 days.
    expect(during).toBeLessThanOrEqual(2);
  });
});
