import type { RetrySettings } from '../core/azureRetryPolicy';
import { ConfigurationError, type Environment } from '../../composition/config';

/** How to reach one service of the function app's own storage account. */
export type HostStorageAccess = { readonly connectionString: string } | { readonly serviceUri: string };

/**
 * Reads the Functions host's storage settings exactly as the host does, for one service:
 * `AzureWebJobsStorage` as a connection string (Azurite and local runs), or identity-based
 * `AzureWebJobsStorage__{service}ServiceUri` / `AzureWebJobsStorage__accountName`
 * (`https://{account}.{service}.core.windows.net`), reached with the app's one credential.
 * `__credential` and `__clientId` configure the host's own connection only; our credential picks
 * its identity from AZURE_CLIENT_ID, like every other client of the app. Undefined when none is set.
 * Errors never quote the connection string, which holds the account key.
 */
export function hostStorageAccess(env: Environment, service: 'blob' | 'queue'): HostStorageAccess | undefined {
  const connectionString = env.AzureWebJobsStorage?.trim();
  if (connectionString) {
    return { connectionString };
  }
  const serviceUriSetting = `AzureWebJobsStorage__${service}ServiceUri`;
  const serviceUri = env[serviceUriSetting]?.trim();
  if (serviceUri) {
    let url: URL | undefined;
    try {
      url = new URL(serviceUri);
    } catch {
      url = undefined;
    }
    // The SDK refuses to send a bearer token over plain http.
    if (url?.protocol !== 'https:') {
      throw new ConfigurationError([
        `${serviceUriSetting} must be an https URL. Fix: use the account's ${service} endpoint, e.g. https://<account>.${service}.core.windows.net.`,
      ]);
    }
    return { serviceUri: serviceUri.replace(/\/+$/, '') };
  }
  const accountName = env.AzureWebJobsStorage__accountName?.trim();
  if (accountName) {
    if (!/^[a-z0-9]{3,24}$/.test(accountName)) {
      // Quoted only when it cannot be a pasted connection string or key.
      const shown = /^[\w.-]{1,64}$/.test(accountName) ? ` '${accountName}'` : '';
      throw new ConfigurationError([
        `AzureWebJobsStorage__accountName${shown} is not a storage account name. Fix: use the account's name (3-24 lowercase letters and digits), or ${serviceUriSetting} outside the public cloud.`,
      ]);
    }
    return { serviceUri: `https://${accountName}.${service}.core.windows.net` };
  }
  return undefined;
}

/**
 * Quirk: the Storage clients run their own retry policy and take no `additionalPolicies`, so the
 * app's retry policy cannot be installed as it is in the other clients; its numbers are mapped onto
 * Storage's exponential policy instead. Storage throttles with 503 ServerBusy (no 429/Retry-After),
 * which that policy retries, as it does 500 and network errors.
 */
export function storageRetryNumbers(retry: RetrySettings): { maxTries: number; retryDelayInMs: number; maxRetryDelayInMs: number } {
  return {
    maxTries: retry.maxRetries + 1,
    // At least 1 ms: Storage reads 0 as "use the SDK default" (4 s / 120 s).
    retryDelayInMs: Math.max(1, retry.initialDelayInMs),
    maxRetryDelayInMs: Math.max(1, Math.min(retry.maxDelayInMs, retry.maxSingleWaitInMs)),
  };
}
