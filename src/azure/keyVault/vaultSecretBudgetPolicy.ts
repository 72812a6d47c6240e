import type { PipelinePolicy, PipelineRequest } from '@azure/core-rest-pipeline';
import { retryAfterInMs } from '../core/azureRetryPolicy';
import type { SecretTransaction, VaultSecretBudget } from '../../rotation/VaultSecretBudget';

/**
 * Paces every attempt sent to a vault (a per-retry policy: retries and list pages are transactions
 * too) by the vault's secret budget, and resynchronises the budget from Key Vault's 429s. Key Vault
 * sends no remaining count, so a 429 (with its Retry-After, when there is one) is all there is to
 * observe. The SDK's first, unauthenticated probe (it earns the bearer challenge) is not a secret
 * transaction and takes no token.
 */
export function vaultSecretBudgetPolicy(budget: VaultSecretBudget): PipelinePolicy {
  return {
    name: 'sasRotatorVaultSecretBudget',
    async sendRequest(request, next) {
      if (!request.headers.has('authorization')) return next(request);
      const vault = new URL(request.url).origin.toLowerCase();
      const transaction = secretTransaction(request);
      await budget.take(vault, transaction, asAbortSignal(request.abortSignal));
      const response = await next(request);
      if (response.status === 429) budget.throttled(vault, transaction, retryAfterInMs(response));
      return response;
    },
  };
}

/** SetSecret (`PUT /secrets/{name}`) creates a version: Key Vault's "CREATE secret" limit. Anything else is "other". */
export function secretTransaction(request: Pick<PipelineRequest, 'method' | 'url'>): SecretTransaction {
  const segments = new URL(request.url).pathname.split('/').filter((segment) => segment !== '');
  return request.method === 'PUT' && segments.length === 2 && segments[0]?.toLowerCase() === 'secrets' ? 'create' : 'other';
}

/** The request's signal as the budget waits on it: in Node it is the caller's own AbortSignal already. */
function asAbortSignal(signal: PipelineRequest['abortSignal']): AbortSignal | undefined {
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  const controller = new AbortController();
  if (signal.aborted) controller.abort();
  else signal.addEventListener('abort', () => controller.abort(), { once: true });
  return controller.signal;
}
