/**
 * Runs `work` over `items` with at most `concurrency` in flight, keeping the input order in the
 * result. Once `abortSignal` fires no new item starts; those get `notStarted(item)` instead.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
  cancellation?: { readonly abortSignal?: AbortSignal; readonly notStarted: (item: T) => R },
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      const item = items[index] as T;
      results[index] = cancellation?.abortSignal?.aborted ? cancellation.notStarted(item) : await work(item, index);
    }
  }
  const workers = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, () => worker());
  await Promise.all(workers);
  return results;
}
