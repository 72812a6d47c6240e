import type { PipelinePolicy, PipelineRequest } from '@azure/core-rest-pipeline';
import { defaultRetrySettings, retryAfterInMs, type RetrySettings } from '../core/azureRetryPolicy';
import type { SecretTransaction, VaultSecretBudget } from '../../rotation/VaultSecretBudget';

/**
 * Paces every attempt sent to a vault (a per-retry policy: retries and list pages are transactions
 * too) by the vault's secret budget, and resynchronises the budget from Key Vault's 429s. Key Vault
 * sends no remaining count, so a 429 (with its Retry-After, when there is one) is all there is to
 * observe. The SDK's first, unauthenticated probe (it earns the bearer challenge) is not a secret
 * transaction and takes no token.
 *
 * `retry`: the store's retry settings. The budget honours a Retry-After only up to the retry policy's
 * `maxSingleWaitInMs`, the one bound on any wait Azure asks of the app: past it (a day, or a malformed
 * 1e308 s) the retry policy fails that request at once, and the budget pauses the vault only for the
 * guidance's first second — it lives as long as the process, so a longer pause would hold every later run.
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
        const honoured = askedMs !== undefined && Number.isFinite(askedMs) && askedMs <= retry.maxSingleWaitInMs ? askedMs : undefined;
        budget.throttled(vault, transaction, honoured);
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
