import { sleep } from './sleep';

/**
 * ARM counts regenerateAccessKey and listCallbackUrl as writes, in a token bucket per subscription
 * and principal (Learn, "Understand how Azure Resource Manager throttles requests": 200 writes,
 * refilled at 10 per second). Keeping our own copy of that bucket lets the runner wait for a token
 * instead of bouncing off 429s, and lets other subscriptions go on meanwhile. The copy is
 * resynchronised from `x-ms-ratelimit-remaining-subscription-writes`: other clients of the same
 * principal drain the same bucket.
 */
export interface WriteBudgetSettings {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

export const armWriteBudget: WriteBudgetSettings = { capacity: 200, refillPerSecond: 10 };

interface Bucket {
  tokens: number;
  refilledAt: number;
}

export class SubscriptionWriteBudget {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly settings: WriteBudgetSettings = armWriteBudget,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Waits until the subscription has a write token, then takes it. The abort signal ends the wait. */
  async take(subscription: string, abortSignal?: AbortSignal): Promise<void> {
    for (;;) {
      abortSignal?.throwIfAborted();
      const bucket = this.refilled(subscription);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return;
      }
      const waitMs = Math.ceil(((1 - bucket.tokens) / this.settings.refillPerSecond) * 1000);
      await sleep(Math.max(1, waitMs), abortSignal);
    }
  }

  /** Whether a write for this subscription would go out now, without waiting. */
  available(subscription: string): boolean {
    return this.refilled(subscription).tokens >= 1;
  }

  /** What ARM says is left for this subscription: ours can only be as full as theirs. */
  observe(subscription: string, remainingWrites: number): void {
    if (!Number.isFinite(remainingWrites) || remainingWrites < 0) return;
    const bucket = this.refilled(subscription);
    bucket.tokens = Math.min(bucket.tokens, remainingWrites);
  }

  private refilled(subscription: string): Bucket {
    const key = subscription.toLowerCase();
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: this.settings.capacity, refilledAt: now };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(this.settings.capacity, bucket.tokens + ((now - bucket.refilledAt) / 1000) * this.settings.refillPerSecond);
    bucket.refilledAt = now;
    return bucket;
  }
}

/** The bucket a target's writes count against: its ARM subscription (Flow API calls have their own). */
export function writeBudgetKey(workflowId: string): string {
  // Anywhere in the path: the observer sees request paths, which an ARM endpoint behind a proxy may prefix.
  const subscription = /\/subscriptions\/([^/]+)\//i.exec(workflowId)?.[1];
  return subscription ? `arm:${subscription.toLowerCase()}` : `other:${workflowId.split('/').slice(0, 5).join('/').toLowerCase()}`;
}
