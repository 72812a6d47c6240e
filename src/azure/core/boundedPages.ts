/** Where a listing stopped short of its end: the items read so far are kept. */
export class ListingStoppedError extends Error {
  constructor(
    readonly code:
      'PagingLoop' | 'PageLimitReached' | 'MalformedListAnswer' | 'ResourceGraphThrottled' | 'ResultTruncated' | 'DiscoveryTimedOut',
    message: string,
  ) {
    super(message);
    this.name = 'ListingStoppedError';
  }
}

/**
 * The items of a paged ARM listing, read page by page with two bounds the SDK pagers lack: a
 * nextLink seen before means the listing loops (ARM has been seen to do it), and no listing may take
 * more than `maxPages` pages. Either stops the listing before the next page is requested, by
 * throwing `ListingStoppedError` after the items already read were yielded.
 */
export async function* boundedPages<T>(
  pages: AsyncIterable<T[]>,
  nextLinkOf: (page: T[]) => string | undefined,
  maxPages: number,
): AsyncGenerator<T> {
  const seen = new Set<string>();
  let count = 0;
  for await (const page of pages) {
    count += 1;
    yield* page;
    const nextLink = nextLinkOf(page);
    if (nextLink === undefined) {
      return;
    }
    if (seen.has(nextLink)) {
      throw new ListingStoppedError(
        'PagingLoop',
        `page ${count} repeated the nextLink of an earlier page, so the listing loops; it was stopped there and what it listed until then is used`,
      );
    }
    if (count >= maxPages) {
      throw new ListingStoppedError(
        'PageLimitReached',
        `the listing still had a nextLink after ${maxPages} pages (sas-rotator's cap on one listing); it was stopped there and what it listed until then is used`,
      );
    }
    seen.add(nextLink);
  }
}

/**
 * For a pager built on @azure/core-client (arm-logic): an answer without a `value` array would
 * otherwise read as an empty page, i.e. "no workflows here" — the silent kind of failure. Passed as
 * the operation's `onResponse`, it turns such an answer into a failed listing.
 */
export function requireValueArray(rawResponse: { readonly status: number; readonly parsedBody?: unknown }): void {
  const body = rawResponse.parsedBody as { value?: unknown } | undefined;
  if (rawResponse.status >= 200 && rawResponse.status < 300 && !Array.isArray(body?.value)) {
    throw new ListingStoppedError(
      'MalformedListAnswer',
      `ARM answered ${rawResponse.status} without a 'value' array, so this page's resources are unknown; the listing was stopped there`,
    );
  }
}
