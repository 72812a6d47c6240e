import type { TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { azureRetryClientOptions, defaultRetrySettings, type RetrySettings } from '../azureRetryPolicy';
import { isLoopbackUrl } from '../isLoopbackUrl';
import type { CallbackUrlPublication, CallbackUrlStore, OperationOptions, PublishedSecret } from '../rotation/ports';

/** Key Vault secrets as the place consumers read callback URLs from (DESIGN §5). */
export class KeyVaultCallbackUrlStore implements CallbackUrlStore {
  private readonly client: SecretClient;

  constructor(credential: TokenCredential, vaultUri: string, retry: RetrySettings = defaultRetrySettings) {
    this.client = new SecretClient(vaultUri, credential, {
      ...azureRetryClientOptions(retry),
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
      const { statusCode, code } = error as { statusCode?: number; code?: string };
      if (statusCode === 404 && code === 'SecretNotFound') {
        return undefined;
      }
      throw error;
    }
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
