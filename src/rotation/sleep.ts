/**
 * The longest delay one timer holds: setTimeout takes a signed 32-bit count of milliseconds and turns
 * anything longer into 1 ms (with a TimeoutOverflowWarning), which would make a long wait a busy loop.
 */
const longestTimerMs = 2 ** 31 - 1;

/** Waits `ms`, or rejects with the signal's reason as soon as it fires. */
export function sleep(ms: number, abortSignal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (abortSignal?.aborted) {
      reject(abortSignal.reason ?? new Error('aborted'));
      return;
    }
    let remainingMs = ms;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortSignal?.reason ?? new Error('aborted'));
    };
    // A wait longer than one timer holds is a chain of the longest timers.
    const wait = () => {
      const stepMs = Math.min(Math.max(0, remainingMs), longestTimerMs);
      remainingMs -= stepMs;
      timer = setTimeout(() => {
        if (remainingMs > 0) {
          wait();
          return;
        }
        abortSignal?.removeEventListener('abort', onAbort);
        resolve();
      }, stepMs);
    };
    abortSignal?.addEventListener('abort', onAbort, { once: true });
    wait();
  });
}
