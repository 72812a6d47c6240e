import { sleep } from './sleep';

/** A token bucket as a service publishes it: `capacity` at once, refilled continuously at `refillPerSecond`. */
export interface TokenBudgetSettings {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

interface Bucket {
  tokens: number;
  refilledAt: number;
  /** Nothing refills before this instant: the service asked us to wait (a 429's Retry-After). */
  pausedUntil: number;
}

/**
 * Our copy of a service's rate limit, one bucket per key (an ARM subscription, a vault): callers wait
 * for a token instead of bouncing off 429s, and other keys go on meanwhile. The copy is resynchronised
 * from what the service answers: a remaining count lowers it (`observe`), a 429 empties it and holds it
 * for the Retry-After (`throttled`). Neither ever raises it above what our own accounting allows.
 */
export class TokenBudget {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly settings: TokenBudgetSettings,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Waits until the key has a token, then takes it. The abort signal ends the wait. */
  async take(key: string, abortSignal?: AbortSignal): Promise<void> {
    for (;;) {
      abortSignal?.throwIfAborted();
      const bucket = this.refilled(key);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return;
      }
      const pausedMs = Math.max(0, bucket.pausedUntil - this.now());
      const refillMs = this.settings.refillPerSecond > 0 ? ((1 - bucket.tokens) / this.settings.refillPerSecond) * 1000 : 60_000;
      await sleep(Math.max(1, Math.ceil(pausedMs + refillMs)), abortSignal);
    }
  }

  /** Whether a request for this key would go out now, without waiting. */
  available(key: string): boolean {
    return this.refilled(key).tokens >= 1;
  }

  /** What the service says is left for this key: ours can only be as full as theirs. */
  observe(key: string, remaining: number): void {
    if (!Number.isFinite(remaining) || remaining < 0) return;
    const bucket = this.refilled(key);
    bucket.tokens = Math.min(bucket.tokens, remaining);
  }

  /**
   * The service refused a request of this key with a 429: its bucket is empty whatever ours says
   * (another client of the same vault or subscription drained it). Ours empties and refills only
   * after `pauseMs` (the Retry-After).
   */
  throttled(key: string, pauseMs: number): void {
    const bucket = this.refilled(key);
    bucket.tokens = Math.min(bucket.tokens, 0);
    // A pause that is no number of milliseconds (Infinity, NaN) would hold the bucket for ever: none at all.
    bucket.pausedUntil = Math.max(bucket.pausedUntil, this.now() + (Number.isFinite(pauseMs) ? Math.max(0, pauseMs) : 0));
  }

  private refilled(key: string): Bucket {
    const normalised = key.toLowerCase();
    const now = this.now();
    let bucket = this.buckets.get(normalised);
    if (!bucket) {
      bucket = { tokens: this.settings.capacity, refilledAt: now, pausedUntil: -Infinity };
      this.buckets.set(normalised, bucket);
    }
    const refillFrom = Math.max(bucket.refilledAt, Math.min(bucket.pausedUntil, now));
    bucket.tokens = Math.min(
      this.settings.capacity,
      bucket.tokens + (Math.max(0, now - refillFrom) / 1000) * this.settings.refillPerSecond,
    );
    bucket.refilledAt = now;
    return bucket;
  }
}
