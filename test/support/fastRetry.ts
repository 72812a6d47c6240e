import type { RetrySettings } from '../../src/azure/core/azureRetryPolicy';

/**
 * The production retry policy with short waits, so fault tests stay fast; Retry-After is still honoured.
 * A 429 gets as many retries as anything else: the Key Vault store would otherwise give it one per step of
 * the vault's throttling backoff, whose pauses (1 to 16 s) the retry settings do not shorten.
 */
export const fastRetry: RetrySettings = {
  maxRetries: 3,
  maxThrottledRetries: 3,
  initialDelayInMs: 20,
  maxDelayInMs: 100,
  maxSingleWaitInMs: 5_000,
};
