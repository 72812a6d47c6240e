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
  /** The part of the limit we spend, 1 unless other clients share it (`shared`). Scales the refill. */
  share: number;
}

/**
 * The least part of a limit a key's bucket is lowered to: 64 clients sharing one limit can each still
 * find their part of it.
 */
export const minimumShare = 1 / 64;

/**
 * What each admitted request wins back of a lowered share: a process alone again after sharing a vault
 * with 63 others has the whole limit back within about 3 seconds of publishing at Key Vault's CREATE rate.
 */
export const shareWonBackPerAdmission = 0.05;

/**
 * Our copy of a service's rate limit, one bucket per key (an ARM subscription, a vault): callers wait
 * for a token instead of bouncing off 429s, and other keys go on meanwhile. The copy is resynchronised
 * from what the service answers: a remaining count lowers it (`observe`), a 429 empties it and holds it
 * for the Retry-After (`throttled`). Neither ever raises it above what our own accounting allows.
 *
 * When other clients, each with a copy of its own, spend the same limit and the service keeps refusing
 * us, `shared` halves the rate our copy refills at and every `admitted` request wins a twentieth of the
 * limit back, so that several such clients settle on a part each (additive increase, multiplicative
 * decrease) instead of each spending the whole limit and being refused in turn.
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
      const refillPerSecond = this.settings.refillPerSecond * bucket.share;
      const refillMs = refillPerSecond > 0 ? ((1 - bucket.tokens) / refillPerSecond) * 1000 : 60_000;
      await sleep(Math.max(1, Math.ceil(pausedMs + refillMs)), abortSignal);
    }
  }

  /** Whether a request for this key would go out now, without waiting. */
  available(key: string): boolean {
    return this.refilled(key).tokens >= 1;
  }

  /** Whether the key is still held by a `throttled` pause: no request of it has gone out since. */
  paused(key: string): boolean {
    return this.refilled(key).pausedUntil > this.now();
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
   * after `pauseMs`, which the caller bounds. A pause that is not a finite number of milliseconds
   * (a Retry-After of 1e308 seconds) holds nothing: a pause until Infinity would never end.
   */
  throttled(key: string, pauseMs: number): void {
    const bucket = this.refilled(key);
    bucket.tokens = Math.min(bucket.tokens, 0);
    if (!Number.isFinite(pauseMs)) return;
    bucket.pausedUntil = Math.max(bucket.pausedUntil, this.now() + Math.max(0, pauseMs));
  }

  /** Other clients spend this key's limit too, and the service keeps refusing us: spend half as much of it. */
  shared(key: string): void {
    const bucket = this.refilled(key);
    bucket.share = Math.max(minimumShare, bucket.share / 2);
  }

  /** The service let a request of this key through: win back a little of a lowered share. */
  admitted(key: string): void {
    const bucket = this.refilled(key);
    bucket.share = Math.min(1, bucket.share + shareWonBackPerAdmission);
  }

  private refilled(key: string): Bucket {
    const normalised = key.toLowerCase();
    const now = this.now();
    let bucket = this.buckets.get(normalised);
    if (!bucket) {
      bucket = { tokens: this.settings.capacity, refilledAt: now, pausedUntil: -Infinity, share: 1 };
      this.buckets.set(normalised, bucket);
    }
    const refillFrom = Math.max(bucket.refilledAt, Math.min(bucket.pausedUntil, now));
    bucket.tokens = Math.min(
      this.settings.capacity,
      bucket.tokens + (Math.max(0, now - refillFrom) / 1000) * this.settings.refillPerSecond * bucket.share,
    );
    bucket.refilledAt = now;
    return bucket;
  }
}
