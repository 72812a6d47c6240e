/**
 * Runs `work` over `items` with at most `concurrency` in flight, keeping the input order in the
 * result. Once `abortSignal` fires no new item starts; those get `notStarted(item)` instead.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
  cancellation?: { readonly abortSignal?: AbortSignal; readonly notStarted: (item: T) => R },
  /** Which pending item to start next (default: the first); gets the pending items in order. */
  pickNext?: (pending: readonly T[]) => number,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const pending = items.map((_, index) => index);
  async function worker(): Promise<void> {
    while (pending.length > 0) {
      const position = pickNext ? Math.max(0, Math.min(pending.length - 1, pickNext(pending.map((i) => items[i] as T)))) : 0;
      const [index] = pending.splice(position, 1) as [number];
      const item = items[index] as T;
      results[index] = cancellation?.abortSignal?.aborted ? cancellation.notStarted(item) : await work(item, index);
    }
  }
  const workers = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, () => worker());
  await Promise.all(workers);
  return results;
}
