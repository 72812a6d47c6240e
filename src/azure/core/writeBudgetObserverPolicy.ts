import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { writeBudgetKey, type SubscriptionWriteBudget } from '../../rotation/SubscriptionWriteBudget';

/**
 * Feeds ARM's own count of the subscription's remaining writes back into our budget, from every
 * answer to a write (`x-ms-ratelimit-remaining-subscription-writes`), so that writes made by other
 * clients of the same principal are accounted for.
 */
export function writeBudgetObserverPolicy(budget: SubscriptionWriteBudget): PipelinePolicy {
  return {
    name: 'sasRotatorWriteBudgetObserver',
    async sendRequest(request, next) {
      const response = await next(request);
      const remaining = response.headers.get('x-ms-ratelimit-remaining-subscription-writes');
      if (remaining !== undefined) {
        const path = new URL(request.url).pathname;
        budget.observe(writeBudgetKey(path), Number(remaining));
      }
      return response;
    },
  };
}
