/**
 * How long a process keeps what it learnt about a management group's subscriptions (docs/design.md §11.1).
 * A fan-out run hands a worker instance its messages within minutes, 16 at a time: kept this long, they cost
 * one Resource Graph query per group and instance instead of one per message, which Resource Graph's quota
 * (about 15 queries per 5 s, shared by every instance of the identity) could not absorb. Kept no longer, a
 * subscription moved into or out of a group is seen a few minutes later at most — little beside Resource
 * Graph's own lag — and a daily run never sees the previous run's answer.
 */
export const managementGroupSubscriptionsTtlMs = 5 * 60 * 1000;

interface KnownGroup {
  readonly subscriptions: Promise<ReadonlySet<string>>;
  /** Counted from the answer; a query still in flight never expires, so every caller shares it. */
  expiresAt: number;
}

/**
 * Which subscriptions each management group holds, as a fan-out worker asks before it confirms a target that
 * only a management-group scope covers: read by `readSubscriptions` (one Resource Graph query per group), kept
 * per group for `ttlMs`, one query in flight per group however many messages ask at once. A failed read is
 * not kept: the next message asks again.
 */
export class ManagementGroupSubscriptions {
  private readonly known = new Map<string, KnownGroup>();

  constructor(
    private readonly readSubscriptions: (managementGroupId: string) => Promise<readonly string[]>,
    private readonly now: () => number = () => performance.now(),
    private readonly ttlMs: number = managementGroupSubscriptionsTtlMs,
  ) {}

  /**
   * Whether `managementGroupId` holds `subscriptionId` (case-insensitive). `abortSignal` ends this caller's
   * wait only: the read is shared, and one message's deadline must not fail the others waiting for it.
   */
  async holds(managementGroupId: string, subscriptionId: string, abortSignal?: AbortSignal): Promise<boolean> {
    const subscriptions = await untilAborted(this.subscriptionsOf(managementGroupId), abortSignal);
    return subscriptions.has(subscriptionId.toLowerCase());
  }

  private subscriptionsOf(managementGroupId: string): Promise<ReadonlySet<string>> {
    const key = managementGroupId.toLowerCase();
    const known = this.known.get(key);
    if (known && this.now() < known.expiresAt) return known.subscriptions;
    const group: KnownGroup = {
      subscriptions: this.readSubscriptions(managementGroupId).then(
        (subscriptionIds) => {
          group.expiresAt = this.now() + this.ttlMs;
          return new Set(subscriptionIds.map((subscriptionId) => subscriptionId.toLowerCase()));
        },
        (error: unknown) => {
          if (this.known.get(key) === group) this.known.delete(key);
          throw error;
        },
      ),
      expiresAt: Number.POSITIVE_INFINITY,
    };
    this.known.set(key, group);
    return group.subscriptions;
  }
}

/** `promise`, or the signal's reason as soon as it fires (the promise itself runs on). */
function untilAborted<T>(promise: Promise<T>, abortSignal: AbortSignal | undefined): Promise<T> {
  if (!abortSignal) return promise;
  if (abortSignal.aborted) return Promise.reject(abortSignal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortSignal.reason as Error);
    abortSignal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => abortSignal.removeEventListener('abort', onAbort));
  });
}
