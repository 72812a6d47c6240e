import type { TokenCredential } from '@azure/identity';
import { BlobServiceClient, StorageRetryPolicyType, type StoragePipelineOptions } from '@azure/storage-blob';
import { defaultRetrySettings, type RetrySettings } from '../core/azureRetryPolicy';
import { ConfigurationError, type Environment } from '../../composition/config';
import { hostStorageAccess, storageRetryNumbers } from './functionsHostStorage';
import { BlobTargetLeases, type BlobTargetLeasesOptions } from './BlobTargetLeases';

export interface CreateTargetLeasesOptions extends BlobTargetLeasesOptions {
  /** The app's one retry policy; tests shorten its waits, production keeps the defaults. */
  readonly retry?: RetrySettings;
}

/**
 * Leases in the function app's own storage account, found the way the Functions host finds it
 * (`hostStorageAccess`; `UseDevelopmentStorage=true` is Azurite's default endpoint). Undefined when
 * none is set: the caller warns and runs without single-writer protection.
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

function storagePipelineOptions(retry: RetrySettings): StoragePipelineOptions {
  // Renewals are cut short by the lease's expiry, whatever these numbers allow.
  return { retryOptions: { retryPolicyType: StorageRetryPolicyType.EXPONENTIAL, ...storageRetryNumbers(retry) } };
}

function createBlobServiceClient(
  env: Environment,
  credential: TokenCredential,
  pipelineOptions: StoragePipelineOptions,
): BlobServiceClient | undefined {
  const access = hostStorageAccess(env, 'blob');
  if (!access) {
    return undefined;
  }
  if ('serviceUri' in access) {
    return new BlobServiceClient(access.serviceUri, credential, pipelineOptions);
  }
  try {
    return BlobServiceClient.fromConnectionString(access.connectionString, pipelineOptions);
  } catch (error) {
    throw new ConfigurationError([
      `AzureWebJobsStorage is not a usable storage connection string${describeParseError(error, access.connectionString)}. Fix: copy the storage account's connection string, use UseDevelopmentStorage=true for Azurite, or remove it and set AzureWebJobsStorage__accountName for a managed identity.`,
    ]);
  }
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
