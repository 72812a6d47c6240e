import { isRestError, type PipelinePolicy } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { azureRetryClientOptions, defaultRetrySettings, type RetrySettings } from '../core/azureRetryPolicy';
import { isLoopbackUrl } from '../core/isLoopbackUrl';
import { throttledBackoffSteps } from '../../rotation/VaultSecretBudget';
import type {
  CallbackUrlPublication,
  CallbackUrlStore,
  DeletedSecretInfo,
  OperationOptions,
  PublishedSecret,
  SecretVersionInfo,
} from '../../rotation/ports';

/** Key Vault secrets as the place consumers read callback URLs from (docs/design.md §5). */
export class KeyVaultCallbackUrlStore implements CallbackUrlStore {
  private readonly client: SecretClient;
  readonly vaultUrl: string;

  /** `perRetry`: policies that see every attempt (the vault's secret budget, vaultSecretBudgetPolicy). */
  constructor(
    credential: TokenCredential,
    vaultUri: string,
    retry: RetrySettings = defaultRetrySettings,
    perRetry: readonly PipelinePolicy[] = [],
  ) {
    this.vaultUrl = vaultUri;
    this.client = new SecretClient(vaultUri, credential, {
      ...azureRetryClientOptions(keyVaultRetrySettings(retry), perRetry),
      // Quirk: the client checks that the challenge's resource matches the vault's DNS suffix,
      // which a loopback vault (the emulator) cannot satisfy. Never relaxed for a real vault.
      disableChallengeResourceVerification: isLoopbackUrl(vaultUri),
    });
  }

  async readLatest(secretName: string, options: OperationOptions = {}): Promise<PublishedSecret | undefined> {
    try {
      const secret = await this.client.getSecret(secretName, { abortSignal: options.abortSignal });
      return {
        secretName,
        version: secret.properties.version ?? '',
        value: secret.value,
        contentType: secret.properties.contentType,
        tags: secret.properties.tags ?? {},
        expiresOn: secret.properties.expiresOn,
      };
    } catch (error) {
      // Only Key Vault's own "no such secret" means "never published": any other 404 (a wrong
      // vault URI behind a proxy, say) must not start a first rotation.
      if (isSecretNotFound(error)) {
        return undefined;
      }
      throw error;
    }
  }

  async findDeleted(secretName: string, options: OperationOptions = {}): Promise<DeletedSecretInfo | undefined> {
    try {
      const deleted = await this.client.getDeletedSecret(secretName, { abortSignal: options.abortSignal });
      return { deletedOn: deleted.properties.deletedOn, scheduledPurgeDate: deleted.properties.scheduledPurgeDate };
    } catch (error) {
      // Quirk: "no deleted secret" is a 404 with the same code as "no secret" ("Deleted Secret not
      // found"). Anything else (403 without the right, throttling) is thrown: the caller must not
      // treat an unanswered question as "not deleted".
      if (isSecretNotFound(error)) {
        return undefined;
      }
      throw error;
    }
  }

  async findVersion(
    secretName: string,
    matches: (tags: Readonly<Record<string, string>>) => boolean,
    options: OperationOptions = {},
  ): Promise<SecretVersionInfo | undefined> {
    // Lists properties only (secrets/readMetadata): no version's value is ever fetched.
    for await (const properties of this.client.listPropertiesOfSecretVersions(secretName, { abortSignal: options.abortSignal })) {
      const tags = properties.tags ?? {};
      if (matches(tags)) {
        return { version: properties.version ?? '', tags, createdOn: properties.createdOn };
      }
    }
    return undefined;
  }

  async publish(secretName: string, publication: CallbackUrlPublication, options: OperationOptions = {}): Promise<{ version: string }> {
    const secret = await this.client.setSecret(secretName, publication.value, {
      contentType: publication.contentType,
      tags: { ...publication.tags },
      expiresOn: publication.expiresOn,
      abortSignal: options.abortSignal,
    });
    return { version: secret.properties.version ?? '' };
  }
}

/** Key Vault's 404 SecretNotFound: the secret (or, asked of deleted secrets, the deleted one) does not exist. */
function isSecretNotFound(error: unknown): boolean {
  return isRestError(error) && error.statusCode === 404 && error.code === 'SecretNotFound';
}

/**
 * The app's retry settings, with a retry for each step of Key Vault's throttling backoff after a 429
 * unless they say otherwise: the vault's budget holds each retry for its step (1, 2, 4, 8, 16 s), and
 * four retries would give up before the last. A request still refused then fails with its 429.
 */
function keyVaultRetrySettings(retry: RetrySettings): RetrySettings {
  return { ...retry, maxThrottledRetries: retry.maxThrottledRetries ?? Math.max(retry.maxRetries, throttledBackoffSteps) };
}
