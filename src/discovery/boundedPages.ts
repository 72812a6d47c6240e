/** Where a listing stopped short of its end: the items read so far are kept. */
export class ListingStoppedError extends Error {
  constructor(
    readonly code: 'PagingLoop' | 'PageLimitReached',
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
      throw new ListingStoppedError('PagingLoop', `page ${count} repeated the nextLink of an earlier page, so the listing loops; it was stopped there and what it listed until then is used`);
    }
    if (count >= maxPages) {
      throw new ListingStoppedError('PageLimitReached', `the listing still had a nextLink after ${maxPages} pages (sas-rotator's cap on one listing); it was stopped there and what it listed until then is used`);
    }
    seen.add(nextLink);
  }
}
