import type { RetrySettings } from '../../src/azure/core/azureRetryPolicy';

/** The production retry policy with short waits, so fault tests stay fast; Retry-After is still honoured. */
export const fastRetry: RetrySettings = { maxRetries: 3, initialDelayInMs: 20, maxDelayInMs: 100, maxSingleWaitInMs: 5_000 };
