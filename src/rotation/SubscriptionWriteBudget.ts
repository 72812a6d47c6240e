import { TokenBudget, type TokenBudgetSettings } from './TokenBudget';

/**
 * ARM counts regenerateAccessKey and listCallbackUrl as writes, in a token bucket per subscription
 * and principal (Learn, "Understand how Azure Resource Manager throttles requests": 200 writes,
 * refilled at 10 per second). Keeping our own copy of that bucket lets the runner wait for a token
 * instead of bouncing off 429s, and lets other subscriptions go on meanwhile. The copy is
 * resynchronised from `x-ms-ratelimit-remaining-subscription-writes`: other clients of the same
 * principal drain the same bucket.
 */
export type WriteBudgetSettings = TokenBudgetSettings;

export const armWriteBudget: WriteBudgetSettings = { capacity: 200, refillPerSecond: 10 };

/** ARM's write bucket per subscription (keys from `writeBudgetKey`). */
export class SubscriptionWriteBudget extends TokenBudget {
  constructor(settings: WriteBudgetSettings = armWriteBudget, now?: () => number) {
    super(settings, now);
  }
}

/** The bucket a target's writes count against: its ARM subscription (Flow API calls have their own). */
export function writeBudgetKey(workflowId: string): string {
  // Anywhere in the path: the observer sees request paths, which an ARM endpoint behind a proxy may prefix.
  const subscription = /\/subscriptions\/([^/]+)\//i.exec(workflowId)?.[1];
  return subscription ? `arm:${subscription.toLowerCase()}` : `other:${workflowId.split('/').slice(0, 5).join('/').toLowerCase()}`;
}
