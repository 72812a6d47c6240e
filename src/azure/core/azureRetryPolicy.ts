import {
  retryPolicy,
  type PipelinePolicy,
  type PipelineResponse,
  type RestError,
  type RetryModifiers,
  type RetryStrategy,
} from '@azure/core-rest-pipeline';
import { parseResetsAfter } from './resourceGraphQuota';

/** The one retry policy of every Azure client in the app (ARM, Key Vault, Storage, telemetry). */
export interface RetrySettings {
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  /**
   * Retries after a 429 (default `maxRetries`). The Key Vault store raises it to the five steps of
   * Key Vault's throttling backoff (docs/design.md §11.5).
   */
  readonly maxThrottledRetries?: number;
  /** First backoff for 5xx, 408 and network errors; doubles each retry, with jitter. */
  readonly initialDelayInMs: number;
  /** Ceiling of one exponential backoff. */
  readonly maxDelayInMs: number;
  /**
   * Longest single wait the policy accepts, Retry-After included. A target that Azure asks to wait
   * longer fails now (its published URL untouched) and the next run retries it, so one throttled
   * target cannot starve the rest of the run.
   */
  readonly maxSingleWaitInMs: number;
}

export const defaultRetrySettings: RetrySettings = {
  maxRetries: 4,
  initialDelayInMs: 800,
  maxDelayInMs: 8_000,
  maxSingleWaitInMs: 30_000,
};

/**
 * Added to each client as a per-call policy with the SDK's own retries switched off
 * (`retryOptions.maxRetries = 0`), so there is exactly one retry loop. Every wait is cut short by
 * the request's abortSignal: the run's deadline wins over any Retry-After.
 */
export function azureRetryPolicy(settings: RetrySettings = defaultRetrySettings): PipelinePolicy {
  const policy = retryPolicy([rotationRetryStrategy(settings)], {
    maxRetries: Math.max(settings.maxRetries, settings.maxThrottledRetries ?? 0),
  });
  return { name: 'sasRotatorRetryPolicy', sendRequest: policy.sendRequest };
}

/**
 * The client options that install the policy: pass them to every Azure SDK client. `perRetry`
 * policies (such as the ARM write-budget observer) see every attempt's answer.
 */
export function azureRetryClientOptions(settings: RetrySettings = defaultRetrySettings, perRetry: readonly PipelinePolicy[] = []) {
  return {
    retryOptions: { maxRetries: 0 },
    additionalPolicies: [
      { policy: azureRetryPolicy(settings), position: 'perCall' as const },
      ...perRetry.map((policy) => ({ policy, position: 'perRetry' as const })),
    ],
  };
}

export function rotationRetryStrategy(settings: RetrySettings): RetryStrategy {
  return {
    name: 'sasRotatorRetryStrategy',
    retry({ retryCount, response, responseError }): RetryModifiers {
      const status = response?.status ?? responseError?.statusCode;
      if (retryCount >= (status === 429 ? (settings.maxThrottledRetries ?? settings.maxRetries) : settings.maxRetries)) {
        return { skipStrategy: true };
      }
      if (status === 429 || (status === 503 && response && retryAfterInMs(response) !== undefined)) {
        const askedInMs = response ? retryAfterInMs(response) : undefined;
        const waitInMs = askedInMs ?? backoffInMs(retryCount, settings);
        return waitInMs <= settings.maxSingleWaitInMs ? { retryAfterInMs: waitInMs } : { skipStrategy: true };
      }
      if (
        status === 408 ||
        (status !== undefined && status >= 500 && status !== 501 && status !== 505) ||
        isTransportError(responseError)
      ) {
        return { retryAfterInMs: Math.min(backoffInMs(retryCount, settings), settings.maxSingleWaitInMs) };
      }
      return { skipStrategy: true };
    },
  };
}

/**
 * Retry-After in seconds or as an HTTP date, or the millisecond variants some Azure services send, or
 * Resource Graph's `x-ms-user-quota-resets-after`.
 */
export function retryAfterInMs(response: PipelineResponse): number | undefined {
  for (const header of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const value = Number(response.headers.get(header));
    if (response.headers.get(header) !== undefined && Number.isFinite(value) && value >= 0) {
      return value;
    }
  }
  const retryAfter = response.headers.get('retry-after');
  if (retryAfter === undefined) {
    // Resource Graph throttles per user and says when its quota window starts again (hh:mm:ss) instead.
    return parseResetsAfter(response.headers.get('x-ms-user-quota-resets-after'));
  }
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) {
    return seconds * 1000;
  }
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function backoffInMs(retryCount: number, settings: RetrySettings): number {
  const exponential = Math.min(settings.maxDelayInMs, settings.initialDelayInMs * 2 ** retryCount);
  // Full jitter between half and all of it, so parallel targets do not retry in lockstep.
  return Math.round(exponential / 2 + Math.random() * (exponential / 2));
}

/** No HTTP answer at all: connection refused, reset or dropped, DNS, timeouts. */
function isTransportError(error: RestError | undefined): boolean {
  return error !== undefined && error.response === undefined && error.code !== undefined && error.code !== 'PARSE_ERROR';
}
