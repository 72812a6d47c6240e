/** Waits `ms`, or rejects with the signal's reason as soon as it fires. */
export function sleep(ms: number, abortSignal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (abortSignal?.aborted) {
      reject(abortSignal.reason ?? new Error('aborted'));
      return;
    }
    const timer = setTimeout(() => {
      abortSignal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortSignal?.reason ?? new Error('aborted'));
    };
    abortSignal?.addEventListener('abort', onAbort, { once: true });
  });
}
