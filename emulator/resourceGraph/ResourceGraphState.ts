/**
 * Resource Graph's per-user query quota: `queries` per window of `windowSeconds`, the window starting with
 * a user's first query after the last one ended. Learn, "Guidance for throttled requests in Azure Resource
 * Graph": "a user can send at most 15 queries within every 5-second window without being throttled", with
 * `x-ms-user-quota-remaining` (queries left) and `x-ms-user-quota-resets-after` (hh:mm:ss until the quota
 * is reset) on every answer. A window that resets to full, rather than a bucket that refills a little at a
 * time, is what those headers describe.
 */
export interface ResourceGraphQuotaSettings {
  readonly queries: number;
  readonly windowSeconds: number;
}

/** Learn's published example of the default quota: 15 queries per 5 seconds per user. */
export const defaultResourceGraphQuota: ResourceGraphQuotaSettings = { queries: 15, windowSeconds: 5 };

export interface QuotaDecision {
  readonly granted: boolean;
  readonly remaining: number;
  readonly resetsAfterMs: number;
}

interface QuotaWindow {
  startedAt: number;
  used: number;
}

/**
 * What only Resource Graph knows: which subscriptions each management group holds (seeded by tests; they are
 * the `resourcecontainers` rows of the group, and the `resources` rows are their Consumption workflows and
 * Standard sites), and each user's quota window.
 */
export class ResourceGraphState {
  private readonly managementGroups = new Map<string, { readonly id: string; readonly subscriptions: Set<string> }>();
  private readonly windows = new Map<string, QuotaWindow>();
  /** The quota every user gets; may be changed between tests (windows in progress keep running). */
  quota: ResourceGraphQuotaSettings;

  constructor(
    quota: ResourceGraphQuotaSettings = defaultResourceGraphQuota,
    private readonly now: () => number = Date.now,
  ) {
    this.quota = quota;
  }

  /** Adds (or extends) a management group holding `subscriptionIds` (descendant groups flattened into it). */
  addManagementGroup(managementGroupId: string, subscriptionIds: readonly string[]): void {
    const key = managementGroupId.toLowerCase();
    const group = this.managementGroups.get(key) ?? { id: managementGroupId, subscriptions: new Set<string>() };
    for (const subscriptionId of subscriptionIds) group.subscriptions.add(subscriptionId.toLowerCase());
    this.managementGroups.set(key, group);
  }

  /** The subscriptions of a management group, or undefined when there is no such group. */
  subscriptionsOf(managementGroupId: string): readonly string[] | undefined {
    const group = this.managementGroups.get(managementGroupId.toLowerCase());
    return group ? [...group.subscriptions] : undefined;
  }

  /** Takes one query from `user`'s quota. */
  take(user: string): QuotaDecision {
    const now = this.now();
    const windowMs = this.quota.windowSeconds * 1000;
    let window = this.windows.get(user);
    if (!window || now - window.startedAt >= windowMs) {
      window = { startedAt: now, used: 0 };
      this.windows.set(user, window);
    }
    const resetsAfterMs = Math.max(0, window.startedAt + windowMs - now);
    if (window.used >= this.quota.queries) return { granted: false, remaining: 0, resetsAfterMs };
    window.used += 1;
    return { granted: true, remaining: this.quota.queries - window.used, resetsAfterMs };
  }

  /** Forgets every user's window (a test that changed the quota starts clean). */
  resetQuotas(): void {
    this.windows.clear();
  }
}
