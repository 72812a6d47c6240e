import type { TokenCredential } from '@azure/identity';
import { BlobServiceClient, StorageRetryPolicyType, type StoragePipelineOptions } from '@azure/storage-blob';
import { defaultRetrySettings, type RetrySettings } from '../azureRetryPolicy';
import { ConfigurationError } from '../config';
import { BlobTargetLeases, type BlobTargetLeasesOptions } from './BlobTargetLeases';

type Environment = Readonly<Record<string, string | undefined>>;

export interface CreateTargetLeasesOptions extends BlobTargetLeasesOptions {
  /** The app's one retry policy; tests shorten its waits, production keeps the defaults. */
  readonly retry?: RetrySettings;
}

/**
 * Leases in the function app's own storage account, found the way the Functions host finds it:
 *
 * - `AzureWebJobsStorage`: a connection string (Azurite and local runs; `UseDevelopmentStorage=true`
 *   is Azurite's default endpoint, http://127.0.0.1:10000/devstoreaccount1);
 * - identity-based: `AzureWebJobsStorage__blobServiceUri`, or `AzureWebJobsStorage__accountName`
 *   (`https://{account}.blob.core.windows.net`), reached with the app's one credential.
 *   `AzureWebJobsStorage__credential` and `__clientId` configure the host's own connection only;
 *   our credential picks its identity from AZURE_CLIENT_ID, like every other client of the app.
 *
 * Undefined when none is set: the caller warns and runs without single-writer protection.
 * Errors never quote the connection string, which holds the account key.
 */
export function createTargetLeases(
  env: Environment,
  credential: TokenCredential,
  options: CreateTargetLeasesOptions = {},
): BlobTargetLeases | undefined {
  const { retry = defaultRetrySettings, ...leaseOptions } = options;
  const serviceClient = createBlobServiceClient(env, credential, storagePipelineOptions(retry));
  return serviceClient && new BlobTargetLeases(serviceClient, leaseOptions);
}

/**
 * Quirk: the Storage clients run their own retry policy and take no `additionalPolicies`, so the
 * app's retry policy cannot be installed as it is in the other clients; its numbers are mapped onto
 * Storage's policy instead. Storage throttles with 503 ServerBusy (no 429/Retry-After), which that
 * policy retries, as it does 500 and network errors; renewals are cut short by the lease's expiry.
 */
function storagePipelineOptions(retry: RetrySettings): StoragePipelineOptions {
  return {
    retryOptions: {
      retryPolicyType: StorageRetryPolicyType.EXPONENTIAL,
      maxTries: retry.maxRetries + 1,
      // At least 1 ms: Storage reads 0 as "use the SDK default" (4 s / 120 s).
      retryDelayInMs: Math.max(1, retry.initialDelayInMs),
      maxRetryDelayInMs: Math.max(1, Math.min(retry.maxDelayInMs, retry.maxSingleWaitInMs)),
    },
  };
}

function createBlobServiceClient(env: Environment, credential: TokenCredential, pipelineOptions: StoragePipelineOptions): BlobServiceClient | undefined {
  const connectionString = env.AzureWebJobsStorage?.trim();
  if (connectionString) {
    try {
      return BlobServiceClient.fromConnectionString(connectionString, pipelineOptions);
    } catch (error) {
      throw new ConfigurationError([
        `AzureWebJobsStorage is not a usable storage connection string${describeParseError(error, connectionString)}. Fix: copy the storage account's connection string, use UseDevelopmentStorage=true for Azurite, or remove it and set AzureWebJobsStorage__accountName for a managed identity.`,
      ]);
    }
  }

  const blobServiceUri = env.AzureWebJobsStorage__blobServiceUri?.trim();
  if (blobServiceUri) {
    let url: URL | undefined;
    try {
      url = new URL(blobServiceUri);
    } catch {
      url = undefined;
    }
    // The SDK refuses to send a bearer token over plain http.
    if (url?.protocol !== 'https:') {
      throw new ConfigurationError([
        'AzureWebJobsStorage__blobServiceUri must be an https URL. Fix: use the account\'s blob endpoint, e.g. https://<account>.blob.core.windows.net.',
      ]);
    }
    return new BlobServiceClient(blobServiceUri.replace(/\/+$/, ''), credential, pipelineOptions);
  }

  const accountName = env.AzureWebJobsStorage__accountName?.trim();
  if (accountName) {
    if (!/^[a-z0-9]{3,24}$/.test(accountName)) {
      // Quoted only when it cannot be a pasted connection string or key.
      const shown = /^[\w.-]{1,64}$/.test(accountName) ? ` '${accountName}'` : '';
      throw new ConfigurationError([
        `AzureWebJobsStorage__accountName${shown} is not a storage account name. Fix: use the account's name (3-24 lowercase letters and digits), or AzureWebJobsStorage__blobServiceUri outside the public cloud.`,
      ]);
    }
    return new BlobServiceClient(`https://${accountName}.blob.core.windows.net`, credential, pipelineOptions);
  }
  return undefined;
}

/** The SDK's reason, unless it could echo any value from the connection string (the key, a SAS). */
function describeParseError(error: unknown, connectionString: string): string {
  const message = error instanceof Error ? error.message : '';
  const values = connectionString
    .split(';')
    .map((part) => part.slice(part.indexOf('=') + 1).trim())
    .filter((value) => value.length >= 4);
  if (message === '' || values.some((value) => message.includes(value))) {
    return '';
  }
  return ` (${message})`;
}
