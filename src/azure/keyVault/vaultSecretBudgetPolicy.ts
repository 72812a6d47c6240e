import type { PipelinePolicy, PipelineRequest } from '@azure/core-rest-pipeline';
import { defaultRetrySettings, retryAfterInMs, type RetrySettings } from '../core/azureRetryPolicy';
import type { SecretTransaction, VaultSecretBudget } from '../../rotation/VaultSecretBudget';

/**
 * Paces every attempt sent to a vault (a per-retry policy: retries and list pages are transactions
 * too) by the vault's secret budget, and resynchronises the budget from Key Vault's answers. Key Vault
 * sends no remaining count, so a 429 (with its Retry-After, when there is one) is all there is to
 * observe, and any other answer means the vault admitted the request. The SDK's first,
 * unauthenticated probe (it earns the bearer challenge) is not a secret transaction and takes no token.
 *
 * `retry`: the store's retry settings. The budget honours a Retry-After only up to the retry policy's
 * `maxSingleWaitInMs`, the one bound on any wait Azure asks of the app: past it the retry policy fails
 * the request at once, and the vault's other requests must not wait for it either (the budget, kept
 * for the life of the process, would hold every later run: a Retry-After of a day, or of 1e308 seconds).
 */
export function vaultSecretBudgetPolicy(budget: VaultSecretBudget, retry: RetrySettings = defaultRetrySettings): PipelinePolicy {
  return {
    name: 'sasRotatorVaultSecretBudget',
    async sendRequest(request, next) {
      if (!request.headers.has('authorization')) return next(request);
      const vault = new URL(request.url).origin.toLowerCase();
      const transaction = secretTransaction(request);
      await budget.take(vault, transaction, asAbortSignal(request.abortSignal));
      const response = await next(request);
      if (response.status === 429) {
        const askedMs = retryAfterInMs(response);
        budget.throttled(vault, transaction, askedMs !== undefined && askedMs <= retry.maxSingleWaitInMs ? askedMs : undefined);
      } else {
        budget.admitted(vault, transaction);
      }
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
