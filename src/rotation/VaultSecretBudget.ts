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
 * recommends ("Wait 1 second, retry request"); the retry policy doubles its own waits after that.
 */
export const defaultThrottledPauseMs = 1000;

/** Our copy of each vault's secret buckets: publications wait for a token instead of bouncing off 429s. */
export class VaultSecretBudget {
  private readonly budgets: Readonly<Record<SecretTransaction, TokenBudget>>;

  constructor(limits: VaultSecretLimits = keyVaultSecretLimits, now?: () => number) {
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

  /** The vault refused such a transaction with a 429: empty our bucket and hold it for the Retry-After. */
  throttled(vault: string, transaction: SecretTransaction, retryAfterMs: number | undefined): void {
    this.budgets[transaction].throttled(vault, retryAfterMs ?? defaultThrottledPauseMs);
  }
}
