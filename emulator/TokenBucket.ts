import type { ThrottleSettings } from './EmulatorOptions';

export interface TokenBucketDecision {
  readonly granted: boolean;
  /** Whole requests left after this one, as ARM reports in x-ms-ratelimit-remaining-*. */
  readonly remaining: number;
  /** Seconds until one request fits again (ARM's Retry-After is whole seconds, at least 1). */
  readonly retryAfterSeconds: number;
}

/** ARM's throttling model: a bucket that starts full and refills continuously. */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly settings: ThrottleSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = settings.capacity;
    this.refilledAt = now();
  }

  take(): TokenBucketDecision {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { granted: true, remaining: Math.floor(this.tokens), retryAfterSeconds: 0 };
    }
    return { granted: false, remaining: 0, retryAfterSeconds: this.secondsUntilOneToken() };
  }

  remaining(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  private get refillRate(): number {
    return this.settings.refillPerSecond * (this.settings.timeScale ?? 1);
  }

  private secondsUntilOneToken(): number {
    if (this.refillRate <= 0) return 3600;
    return Math.max(1, Math.ceil((1 - this.tokens) / this.refillRate));
  }

  private refill(): void {
    const now = this.now();
    const elapsedSeconds = Math.max(0, now - this.refilledAt) / 1000;
    this.tokens = Math.min(this.settings.capacity, this.tokens + elapsedSeconds * this.refillRate);
    this.refilledAt = now;
  }
}
