import { TokenBudget, type TokenBudgetSettings } from './TokenBudget';

/**
 * Key Vault's secret transaction limits, per vault and region, in 10-second windows (Microsoft Learn,
 * "Azure Key Vault service limits", https://learn.microsoft.com/azure/key-vault/general/service-limits,
 * "Secrets, managed storage account keys, and vault transactions"; source
 * MicrosoftDocs/azure-docs includes/key-vault-limits.md): "Secret CREATE secret: 300" and "All other
 * transactions: 4,000". A subscription-wide limit is five times the vault's. Key Vault answers a
 * request over the limit with 429 `{ error: { code: 'Throttled' } }`, and "failed requests that
 * return a 429 do not count towards the throttle limits" ("Azure Key Vault throttling guidance",
 * https://learn.microsoft.com/azure/key-vault/general/overview-throttling). It sends no remaining
 * count (unlike ARM's x-ms-ratelimit-remaining-*), and a captured real 429 carried no Retry-After
 * (vcsjones/AzureSignTool#219): the only resynchronisation is the 429 itself.
 *
 * Modelled as two token buckets per vault holding one window each, refilled at a tenth of it per
 * second (the shape of Key Vault's window is not published: a 429 resynchronises us either way).
 */
export interface VaultSecretLimits {
  /** SetSecret: every publication creates a version. 300 per 10 s. */
  readonly create: TokenBudgetSettings;
  /** Every other secret transaction (get, list pages, get deleted). 4,000 per 10 s. */
  readonly other: TokenBudgetSettings;
  /**
   * The share of each limit our budget spends (default 0.95). Key Vault counts arrivals, we count
   * departures: a request that first opens a connection arrives after one sent later on a warm one,
   * and without a remaining count to follow we would find out only from a 429 and its pause. The
   * slack (15 CREATE tokens, half a second of refill) absorbs that jitter for 5 % of the rate.
   */
  readonly headroom?: number;
}

export const keyVaultSecretLimits: VaultSecretLimits = {
  create: { capacity: 300, refillPerSecond: 30 },
  other: { capacity: 4000, refillPerSecond: 400 },
};

const defaultHeadroom = 0.95;

export type SecretTransaction = 'create' | 'other';

/**
 * After a 429 without Retry-After: the first step of the backoff Key Vault's throttling guidance
 * recommends ("Wait 1 second, retry request").
 */
export const defaultThrottledPauseMs = 1000;

/**
 * The steps of the guidance's backoff (1, 2, 4, 8, 16 s): consecutive 429s lengthen the pause up to the
 * last, and as many retries let a request refused each time span it all.
 */
export const throttledBackoffSteps = 5;

/**
 * The last step: jitter adds at most half of it (24 s, inside the retry policy's longest single wait,
 * 30 s). It is longer than Key Vault's 10-second window, which has refilled whole by then: a vault still
 * refusing is shared with other writers, and a longer pause would only leave windows unused.
 */
export const longestThrottledBackoffMs = defaultThrottledPauseMs * 2 ** (throttledBackoffSteps - 1);

/** Key Vault counts transactions in windows of 10 seconds. */
const windowMs = 10_000;

interface Refusals {
  /** Consecutive 429s since the vault last let a transaction of this kind through (those during a pause not counted). */
  consecutive: number;
  /** When the last one that began a pause arrived. */
  lastAt: number;
}

/** Our copy of each vault's secret buckets: publications wait for a token instead of bouncing off 429s. */
export class VaultSecretBudget {
  private readonly budgets: Readonly<Record<SecretTransaction, TokenBudget>>;
  /** Per vault and transaction kind. */
  private readonly refusals = new Map<string, Refusals>();

  /** `random`: the jitter's source, in [0, 1). */
  constructor(
    limits: VaultSecretLimits = keyVaultSecretLimits,
    private readonly now: () => number = () => performance.now(),
    private readonly random: () => number = Math.random,
  ) {
    const headroom = limits.headroom ?? defaultHeadroom;
    const spend = (limit: TokenBudgetSettings): TokenBudgetSettings => ({
      capacity: Math.max(1, Math.floor(limit.capacity * headroom)),
      refillPerSecond: limit.refillPerSecond * headroom,
    });
    this.budgets = { create: new TokenBudget(spend(limits.create), now), other: new TokenBudget(spend(limits.other), now) };
  }

  /** Waits until the vault has a token for this kind of transaction, then takes it. */
  take(vault: string, transaction: SecretTransaction, abortSignal?: AbortSignal): Promise<void> {
    return this.budgets[transaction].take(vault, abortSignal);
  }

  /** Whether such a transaction would go out now, without waiting. */
  available(vault: string, transaction: SecretTransaction): boolean {
    return this.budgets[transaction].available(vault);
  }

  /**
   * The vault let such a transaction through (it answered anything but 429): the next refusal starts
   * the backoff from its first step again, and a share lowered by refusals grows back a little.
   */
  admitted(vault: string, transaction: SecretTransaction): void {
    const refusals = this.refusals.get(refusalKey(vault, transaction));
    if (refusals) refusals.consecutive = 0;
    this.budgets[transaction].admitted(vault);
  }

  /**
   * The vault refused such a transaction with a 429: its bucket is empty whatever ours says, so ours
   * empties and pauses for the step of the guidance's backoff this refusal has reached (1 s after the
   * first, doubling with each consecutive one up to 16 s), or for the Retry-After when that is longer.
   * From the second consecutive refusal on, each step is jittered, from the step to half as much again:
   * processes refused together would otherwise come back at the same instant and be refused together
   * again. A lone process refused once waits exactly the guidance's first second.
   *
   * Every refusal within one window (10 s) of the last that began a pause also halves the rate our
   * copy refills at (`TokenBudget.shared`), those answering requests sent before the pause included:
   * once in a window is someone else's burst, and the pause resynchronises us; more often, the vault
   * is shared for good (other worker instances, each with a budget of its own), and each process must
   * settle on a part of it. Without that, a process let through after its pause goes back to the whole
   * rate at once and takes the tokens of those further along their backoff, until their retries run out.
   *
   * `retryAfterMs`: the Retry-After the retry policy waits for this request, if any. One the retry
   * policy will not wait must not be passed (the request fails now, and the budget, kept for the life
   * of the process, would hold every later run).
   */
  throttled(vault: string, transaction: SecretTransaction, retryAfterMs: number | undefined): void {
    const budget = this.budgets[transaction];
    const askedMs = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) ? retryAfterMs : 0;
    const key = refusalKey(vault, transaction);
    const now = this.now();
    const previous = this.refusals.get(key);
    if (previous !== undefined && now - previous.lastAt < windowMs) budget.shared(vault);
    // Nothing of this kind leaves a paused bucket: a 429 arriving during the pause answers a request
    // sent before it, a refusal the pause already stands for.
    if (budget.paused(vault)) {
      budget.throttled(vault, askedMs);
      return;
    }
    const consecutive = (previous?.consecutive ?? 0) + 1;
    this.refusals.set(key, { consecutive, lastAt: now });
    const stepMs = Math.min(longestThrottledBackoffMs, defaultThrottledPauseMs * 2 ** (consecutive - 1));
    const backoffMs = consecutive > 1 ? stepMs * (1 + this.random() / 2) : stepMs;
    budget.throttled(vault, Math.max(backoffMs, askedMs));
  }
}

function refusalKey(vault: string, transaction: SecretTransaction): string {
  return `${transaction} ${vault.toLowerCase()}`;
}
