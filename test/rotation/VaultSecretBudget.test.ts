import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { defaultRetrySettings } from '../../src/azure/core/azureRetryPolicy';
import { TokenBudget } from '../../src/rotation/TokenBudget';
import {
  defaultThrottledPauseMs,
  keyVaultSecretLimits,
  longestThrottledBackoffMs,
  VaultSecretBudget,
} from '../../src/rotation/VaultSecretBudget';
import { secretTransaction, vaultSecretBudgetPolicy } from '../../src/azure/keyVault/vaultSecretBudgetPolicy';

const settle = () => new Promise((resolve) => setImmediate(resolve));
const vault = 'https://kv.vault.azure.net';
const minute = 60_000;

/** One SetSecret through the budget's pipeline policy, answered with this status and headers. */
async function setSecretAnswered(budget: VaultSecretBudget, status: number, headers: Record<string, string> = {}): Promise<void> {
  const request = createPipelineRequest({ url: `${vault}/secrets/orders-url?api-version=2025-07-01`, method: 'PUT' });
  request.headers.set('authorization', 'Bearer not-a-real-token');
  const response: PipelineResponse = { request, status, headers: createHttpHeaders(headers) };
  await vaultSecretBudgetPolicy(budget).sendRequest(request, () => Promise.resolve(response));
}

/** One SetSecret through the budget's pipeline policy, answered 429 with this Retry-After. */
const throttledSetSecret = (budget: VaultSecretBudget, retryAfter: string) => setSecretAnswered(budget, 429, { 'retry-after': retryAfter });

/** How long after `from` the vault's CREATE bucket first lets a publication out, to the millisecond. */
function msUntilAvailable(budget: VaultSecretBudget, clock: { now: number }, from: number): number {
  for (clock.now = from; !budget.available(vault, 'create'); clock.now += 1) {
    if (clock.now - from > 10 * minute) throw new Error('never available');
  }
  return clock.now - from;
}

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

describe('VaultSecretBudget: what a 429 may hold, in a budget kept for the life of the process', () => {
  it("a 429 asking for a day does not hold the vault's publications for a day (the next timer runs of a warm process publish)", async () => {
    let now = 0;
    const budget = new VaultSecretBudget(keyVaultSecretLimits, () => now);
    await throttledSetSecret(budget, String(24 * 3600));
    // The retry policy gives up on any single wait above maxSingleWaitInMs (30 s) and lets the next run retry;
    // Key Vault's window is 10 s. A minute later the vault's publications must go out again.
    now += Math.max(minute, defaultRetrySettings.maxSingleWaitInMs * 2);
    // Before: paused for the whole day; every later run of this process waited until its deadline.
    expect(budget.available(vault, 'create')).toBe(true);
  });

  it('a malformed, huge Retry-After (1e308 seconds) does not pause the vault for ever', async () => {
    let now = 0;
    const budget = new VaultSecretBudget(keyVaultSecretLimits, () => now);
    await throttledSetSecret(budget, '1e308');
    now += 10 * minute;
    // Before: 1e308 s is Infinity ms: pausedUntil = Infinity, the vault never refilled in this process.
    expect(budget.available(vault, 'create')).toBe(true);
  });

  it('honours a Retry-After up to the longest single wait of the retry policy, no longer', async () => {
    const clock = { now: 0 };
    const budget = new VaultSecretBudget({ ...keyVaultSecretLimits, headroom: 1 }, () => clock.now);
    await throttledSetSecret(budget, String(defaultRetrySettings.maxSingleWaitInMs / 1000));
    // Paused for the whole Retry-After, then the first token of the refill (1/30 s).
    expect(msUntilAvailable(budget, clock, 0)).toBe(defaultRetrySettings.maxSingleWaitInMs + 34);
    await setSecretAnswered(budget, 200);
    clock.now += minute;
    // One second longer: the retry policy fails the request at once, and the vault pauses as for a 429 without one.
    await throttledSetSecret(budget, String(defaultRetrySettings.maxSingleWaitInMs / 1000 + 1));
    const from = clock.now;
    expect(msUntilAvailable(budget, clock, from)).toBe(defaultThrottledPauseMs + 34);
  });
});

describe("VaultSecretBudget: consecutive 429s back off as Key Vault's throttling guidance says (1, 2, 4, 8, 16 s)", () => {
  /** A vault refilled so fast that a pause is all there is to see. */
  const fastVault = (clock: { now: number }, jitter: number) =>
    new VaultSecretBudget(
      { create: { capacity: 1, refillPerSecond: 1e6 }, other: { capacity: 1, refillPerSecond: 1e6 }, headroom: 1 },
      () => clock.now,
      () => jitter,
    );

  /** The pause each of `count` consecutive 429s (each answering a request sent after the last pause) holds the vault for. */
  async function pausesOf(count: number, jitter: number): Promise<number[]> {
    const clock = { now: 0 };
    const budget = fastVault(clock, jitter);
    const pauses: number[] = [];
    for (let i = 0; i < count; i++) {
      const from = clock.now;
      await setSecretAnswered(budget, 429);
      pauses.push(msUntilAvailable(budget, clock, from) - 1);
      clock.now += minute;
    }
    return pauses;
  }

  it('lengthens the pause with each consecutive 429 up to 16 s, jittered from the second by up to half a step', async () => {
    expect(await pausesOf(7, 0)).toEqual([1000, 2000, 4000, 8000, 16_000, 16_000, 16_000]);
    // The jitter never shortens a step: the most it adds is half.
    const longest = await pausesOf(7, 0.999_999);
    expect(longest[0]).toBe(1000);
    expect(longest.slice(1).map((pause) => Math.round(pause / 100) * 100)).toEqual([3000, 6000, 12_000, 24_000, 24_000, 24_000]);
    expect(Math.max(...longest)).toBeLessThan(defaultRetrySettings.maxSingleWaitInMs);
    expect(longestThrottledBackoffMs).toBe(16_000);
  });

  it('starts again from 1 s once the vault lets a request of that kind through', async () => {
    const clock = { now: 0 };
    const budget = fastVault(clock, 0);
    await setSecretAnswered(budget, 429);
    clock.now += minute;
    await setSecretAnswered(budget, 429);
    clock.now += minute;
    await setSecretAnswered(budget, 200);
    clock.now += minute;
    const from = clock.now;
    await setSecretAnswered(budget, 429);
    expect(msUntilAvailable(budget, clock, from) - 1).toBe(defaultThrottledPauseMs);
  });

  it('does not lengthen the pause for 429s answering requests sent before it began', async () => {
    const clock = { now: 0 };
    const budget = new VaultSecretBudget(
      keyVaultSecretLimits,
      () => clock.now,
      () => 0,
    );
    // Three publications in flight together, all refused: one refusal of the vault, one pause of 1 s
    // (the two answering requests already sent halve the refill: 28.5 / 4 per second).
    for (let i = 0; i < 3; i++) budget.throttled(vault, 'create', undefined);
    clock.now = defaultThrottledPauseMs - 1;
    expect(budget.available(vault, 'create')).toBe(false);
    clock.now = defaultThrottledPauseMs + 150;
    expect(budget.available(vault, 'create')).toBe(true);
    // The next refusal is the second: 2 s, not the fourth's 8 s.
    budget.throttled(vault, 'create', undefined);
    clock.now += 2000 - 1;
    expect(budget.available(vault, 'create')).toBe(false);
    clock.now += 1 + 300;
    expect(budget.available(vault, 'create')).toBe(true);
  });

  it("keeps each kind's backoff to itself: reads let through do not reset the publications'", async () => {
    const clock = { now: 0 };
    const budget = new VaultSecretBudget(
      keyVaultSecretLimits,
      () => clock.now,
      () => 0,
    );
    budget.throttled(vault, 'create', undefined);
    clock.now += minute;
    budget.admitted(vault, 'other');
    budget.throttled(vault, 'create', undefined);
    const from = clock.now;
    clock.now = from + 2000 - 1;
    expect(budget.available(vault, 'create')).toBe(false);
  });
});
