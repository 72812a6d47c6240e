import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createPipelineFromOptions,
  type HttpClient,
  type Pipeline,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { azureRetryClientOptions, defaultRetrySettings, type RetrySettings } from './azureRetryPolicy';
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

const throttledQuotas = new WeakMap<Error, ResourceGraphQuota>();

/** The quota headers of a query Resource Graph refused with 429; undefined for any other error. */
export function quotaOfThrottled(error: unknown): ResourceGraphQuota | undefined {
  return error instanceof Error ? throttledQuotas.get(error) : undefined;
}

export class ResourceGraphClient {
  private readonly pipeline: Pipeline;
  private readonly httpClient: HttpClient = createDefaultHttpClient();

  constructor(
    credential: TokenCredential,
    private readonly resourceManagerEndpoint: string,
    retry: RetrySettings = defaultRetrySettings,
  ) {
    const { retryOptions, additionalPolicies } = azureRetryClientOptions(retry);
    this.pipeline = createPipelineFromOptions({ retryOptions });
    // Per call, like the SDK clients' additionalPolicies: each retry goes through auth again.
    for (const { policy } of additionalPolicies) this.pipeline.addPolicy(policy);
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
      // A 429 the retry policy gave up on (its wait was longer than one retry may take): the caller may still wait within its budget.
      if (last?.status === 429 && error instanceof Error) throttledQuotas.set(error, quotaOf(last));
      throw error;
    }
    const body = answer as { data?: unknown; $skipToken?: unknown } | undefined;
    if (!Array.isArray(body?.data) || (body.$skipToken !== undefined && typeof body.$skipToken !== 'string')) {
      throw new ListingStoppedError(
        'MalformedListAnswer',
        `Resource Graph answered ${last?.status ?? '?'} without a 'data' array (objectArray) or with a malformed $skipToken, so this page's resources are unknown; the query was stopped there`,
      );
    }
    return {
      rows: body.data,
      skipToken: typeof body.$skipToken === 'string' && body.$skipToken !== '' ? body.$skipToken : undefined,
      quota: last ? quotaOf(last) : { remaining: undefined, resetsAfterMs: undefined },
    };
  }
}

/** How far one query may go: its pages, its time, and the caller's cancellation. */
export interface ResourceGraphQueryBounds {
  /** Pages at most (boundedPages), and 429s waited out at most. */
  readonly maxPages: number;
  /** Epoch milliseconds: a quota wait that would end later stops the query (`ResourceGraphThrottled`). */
  readonly deadlineAt: number;
  readonly abortSignal: AbortSignal;
}

/**
 * The rows of one query, page after page with `$skipToken`, under boundedPages' bounds (a repeated token is
 * `PagingLoop`, `maxPages` pages `PageLimitReached`). Resource Graph's quota is per user and per window (Learn,
 * "Guidance for throttled requests in Azure Resource Graph"): after a page that left
 * `x-ms-user-quota-remaining: 0`, the next page waits `x-ms-user-quota-resets-after`; a 429 the retry policy
 * gave up on is waited out the same way. A wait that would end after `deadlineAt` stops the query there
 * (`ResourceGraphThrottled`), after the rows already read were yielded.
 */
export function resourceGraphRows(
  client: ResourceGraphClient,
  request: ResourceGraphQuery,
  bounds: ResourceGraphQueryBounds,
): AsyncGenerator<unknown> {
  return boundedPages(resourceGraphPages(client, request, bounds), skipTokenOf, bounds.maxPages);
}

async function* resourceGraphPages(
  client: ResourceGraphClient,
  request: ResourceGraphQuery,
  { maxPages, deadlineAt, abortSignal }: ResourceGraphQueryBounds,
): AsyncGenerator<unknown[]> {
  let skipToken: string | undefined;
  let waitMs = 0;
  let throttledAnswers = 0;
  for (;;) {
    if (waitMs > 0) {
      if (Date.now() + waitMs > deadlineAt) {
        throw new ListingStoppedError(
          'ResourceGraphThrottled',
          `Resource Graph's query quota for this identity starts again in ${Math.ceil(waitMs / 1000)} s (x-ms-user-quota-resets-after), after the time this query may take; the query was stopped there, after the rows read until then`,
        );
      }
      await sleep(waitMs, abortSignal);
    }
    let page;
    try {
      page = await client.queryPage(request, skipToken, abortSignal);
    } catch (error) {
      const quota = quotaOfThrottled(error);
      throttledAnswers += 1;
      if (!quota || throttledAnswers > maxPages) throw error;
      waitMs = Math.max(quota.resetsAfterMs ?? 1000, 1);
      continue;
    }
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
