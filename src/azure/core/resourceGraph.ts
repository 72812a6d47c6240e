import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createPipelineFromOptions,
  retryPolicy,
  type HttpClient,
  type Pipeline,
  type PipelinePolicy,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { defaultRetrySettings, retryAfterInMs, rotationRetryStrategy, type RetrySettings } from './azureRetryPolicy';
import { sleep } from '../../rotation/sleep';
import { boundedPages, ListingStoppedError } from './boundedPages';
import { postJsonAction } from './postJsonAction';
import { quotaOf, type ResourceGraphQuota } from './resourceGraphQuota';

/**
 * The Resource Graph REST API (`POST {arm}/providers/Microsoft.ResourceGraph/resources`), called through a
 * core-rest-pipeline pipeline of our own — the same bearer auth (ARM's audience) and the same single retry
 * policy (azureRetryPolicy) as every ARM SDK client of sas-rotator — rather than `@azure/arm-resourcegraph`:
 * its 5.0.0 requires Node >= 22 (the test suite also runs on Node 20), 5.0.0-beta.4 is a beta, and 4.2.1 is
 * the deprecated track-1 SDK. One operation with a small JSON body does not need a generated client
 * (docs/design.md §4.5). 2022-10-01 is the newest stable api-version of the published spec
 * (test/openapi/specs), against which every exchange with the emulator is validated.
 */
export const resourceGraphApiVersion = '2022-10-01';

/** Resource Graph's most rows per page (`options.$top`, spec maximum 1000). */
export const resourceGraphMaxPageSize = 1000;

/** One page of a Resource Graph query: its rows (`data` as objectArray), its `$skipToken`, and the quota headers. */
export interface ResourceGraphPage {
  readonly rows: readonly unknown[];
  readonly skipToken: string | undefined;
  readonly quota: ResourceGraphQuota;
}

export interface ResourceGraphQuery {
  readonly query: string;
  readonly managementGroups: readonly string[];
  /** Rows per page, 1 to 1000. */
  readonly top: number;
}

/** What Resource Graph said when it refused a query with 429. */
export interface ResourceGraphThrottle {
  readonly quota: ResourceGraphQuota;
  /** How long it asked to wait: `Retry-After` (or its millisecond forms) or `x-ms-user-quota-resets-after`, the longer. */
  readonly waitMs: number | undefined;
}

const throttles = new WeakMap<Error, ResourceGraphThrottle>();

/** What Resource Graph said when it refused the query with 429; undefined for any other error. */
export function throttleOf(error: unknown): ResourceGraphThrottle | undefined {
  return error instanceof Error ? throttles.get(error) : undefined;
}

/**
 * The shared retry strategy (azureRetryPolicy: 5xx, 408, dropped connections), except for 429: the query's
 * pager waits those out itself, because it knows the time the query may take — the retry policy would sleep a
 * quota reset that ends after it, or re-send at once on a reset of 00:00:00 (docs/design.md §4.5).
 */
function resourceGraphRetryPolicy(settings: RetrySettings): PipelinePolicy {
  const shared = rotationRetryStrategy(settings);
  const policy = retryPolicy(
    [
      {
        name: 'resourceGraphRetryStrategy',
        retry: (state) =>
          (state.response?.status ?? state.responseError?.statusCode) === 429 ? { skipStrategy: true } : shared.retry(state),
      },
    ],
    { maxRetries: settings.maxRetries },
  );
  return { name: 'resourceGraphRetryPolicy', sendRequest: policy.sendRequest };
}

export class ResourceGraphClient {
  private readonly pipeline: Pipeline;
  private readonly httpClient: HttpClient = createDefaultHttpClient();

  constructor(
    credential: TokenCredential,
    private readonly resourceManagerEndpoint: string,
    retry: RetrySettings = defaultRetrySettings,
  ) {
    this.pipeline = createPipelineFromOptions({ retryOptions: { maxRetries: 0 } });
    // Per call, like the SDK clients' additionalPolicies: each retry goes through auth again.
    this.pipeline.addPolicy(resourceGraphRetryPolicy(retry));
    this.pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential, scopes: `${resourceManagerEndpoint}/.default` }), {
      phase: 'Sign',
    });
  }

  /**
   * One page. A 429 that the retry policy gave up on, and any other failure, is a RestError; an answer
   * without a `data` array (or with a `$skipToken` that is not a string) is a `MalformedListAnswer`.
   */
  async queryPage(request: ResourceGraphQuery, skipToken: string | undefined, abortSignal: AbortSignal): Promise<ResourceGraphPage> {
    let last: PipelineResponse | undefined;
    const send = async (pipelineRequest: Parameters<Pipeline['sendRequest']>[1]) => {
      last = await this.pipeline.sendRequest(this.httpClient, pipelineRequest);
      return last;
    };
    let answer: unknown;
    try {
      answer = await postJsonAction(
        send,
        `${this.resourceManagerEndpoint}/providers/Microsoft.ResourceGraph/resources?api-version=${resourceGraphApiVersion}`,
        {
          query: request.query,
          managementGroups: request.managementGroups,
          options: { $top: request.top, ...(skipToken !== undefined ? { $skipToken: skipToken } : {}), resultFormat: 'objectArray' },
        },
        abortSignal,
      );
    } catch (error) {
      // A 429 is never retried by the policy: the pager decides whether its wait fits the query's time.
      if (last?.status === 429 && error instanceof Error) {
        const quota = quotaOf(last);
        const asked = [retryAfterInMs(last), quota.resetsAfterMs].filter((ms): ms is number => ms !== undefined && Number.isFinite(ms));
        throttles.set(error, { quota, waitMs: asked.length > 0 ? Math.max(...asked) : undefined });
      }
      throw error;
    }
    const body = answer as { data?: unknown; $skipToken?: unknown; resultTruncated?: unknown } | undefined;
    if (!Array.isArray(body?.data) || (body.$skipToken !== undefined && typeof body.$skipToken !== 'string')) {
      throw new ListingStoppedError(
        'MalformedListAnswer',
        `Resource Graph answered ${last?.status ?? '?'} without a 'data' array (objectArray) or with a malformed $skipToken, so this page's resources are unknown; the query was stopped there`,
      );
    }
    const nextSkipToken = typeof body.$skipToken === 'string' && body.$skipToken !== '' ? body.$skipToken : undefined;
    if (nextSkipToken === undefined && String(body.resultTruncated).toLowerCase() === 'true') {
      // Learn, "Working with large Azure resource data sets": a truncated result without a token cannot be read on.
      throw new ListingStoppedError(
        'ResultTruncated',
        'Resource Graph said the result is truncated (resultTruncated) and gave no $skipToken to read on, so the rest of the resources are unknown; the query was stopped there',
      );
    }
    return {
      rows: body.data,
      skipToken: nextSkipToken,
      quota: last ? quotaOf(last) : { remaining: undefined, resetsAfterMs: undefined },
    };
  }
}

/** How far one query may go: its pages, its time, and the caller's cancellation. */
export interface ResourceGraphQueryBounds {
  /** Pages at most (boundedPages). */
  readonly maxPages: number;
  /** Epoch milliseconds: a quota wait that would end later stops the query (`ResourceGraphThrottled`). */
  readonly deadlineAt: number;
  readonly abortSignal: AbortSignal;
}

/**
 * The rows of one query, page after page with `$skipToken`, under boundedPages' bounds (a repeated token is
 * `PagingLoop`, `maxPages` pages `PageLimitReached`). Resource Graph's quota is per user and per window (Learn,
 * "Guidance for throttled requests in Azure Resource Graph"): after a page that left
 * `x-ms-user-quota-remaining: 0`, the next page waits `x-ms-user-quota-resets-after`; a 429 (never retried by
 * the retry policy) waits what it asks for, `Retry-After` or the quota reset, and at least 1, 2, 4 … s. A wait that would end after `deadlineAt` stops the query there
 * (`ResourceGraphThrottled`), after the rows already read were yielded.
 */
export function resourceGraphRows(
  client: ResourceGraphClient,
  request: ResourceGraphQuery,
  bounds: ResourceGraphQueryBounds,
): AsyncGenerator<unknown> {
  return boundedPages(resourceGraphPages(client, request, bounds), skipTokenOf, bounds.maxPages);
}

/** Throttled answers in a row after which a query gives up (with waits of 1, 2, 4 … s, far more than its time allows). */
const maxThrottledInARow = 10;
/** The longest a throttled query backs off by itself when Resource Graph names no wait. */
const maxThrottleBackoffMs = 32_000;

async function* resourceGraphPages(
  client: ResourceGraphClient,
  request: ResourceGraphQuery,
  { deadlineAt, abortSignal }: ResourceGraphQueryBounds,
): AsyncGenerator<unknown[]> {
  let skipToken: string | undefined;
  let waitMs = 0;
  let throttledInARow = 0;
  for (;;) {
    if (waitMs > 0) {
      if (Date.now() + waitMs > deadlineAt) {
        throw new ListingStoppedError(
          'ResourceGraphThrottled',
          `Resource Graph's query quota for this identity allows the next query in ${Math.ceil(waitMs / 1000)} s (Retry-After or x-ms-user-quota-resets-after), after the time this query may take; the query was stopped there, after the rows read until then`,
        );
      }
      await sleep(waitMs, abortSignal);
    }
    let page;
    try {
      page = await client.queryPage(request, skipToken, abortSignal);
    } catch (error) {
      const throttle = throttleOf(error);
      throttledInARow += 1;
      if (!throttle || throttledInARow > maxThrottledInARow) throw error;
      // What Resource Graph asks for, but never less than Learn's guidance to back off (1, 2, 4 … s): a reset of
      // 00:00:00 or no header at all must not re-send at once, which would keep the identity throttled.
      waitMs = Math.max(throttle.waitMs ?? 0, Math.min(maxThrottleBackoffMs, 1000 * 2 ** (throttledInARow - 1)));
      continue;
    }
    throttledInARow = 0;
    waitMs = page.quota.remaining === 0 ? (page.quota.resetsAfterMs ?? 1000) : 0;
    skipToken = page.skipToken;
    yield Object.assign([...page.rows], { skipToken });
    if (skipToken === undefined) return;
  }
}

/** The `$skipToken` resourceGraphPages keeps on each page. */
function skipTokenOf(page: unknown[]): string | undefined {
  return (page as unknown[] & { skipToken?: string }).skipToken;
}
