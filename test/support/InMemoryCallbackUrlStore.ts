import { RestError } from '@azure/core-rest-pipeline';
import type {
  CallbackUrlPublication,
  CallbackUrlStore,
  DeletedSecretInfo,
  PublishedSecret,
  SecretVersionInfo,
} from '../../src/rotation/ports';

/** Secret versions in memory, for unit tests of the protocol (nothing to cancel, so no operation options). */
export class InMemoryCallbackUrlStore implements CallbackUrlStore {
  readonly vaultUrl = 'https://in-memory.vault.azure.net/';
  readonly versions = new Map<string, PublishedSecret[]>();
  failPublish = false;
  /** Soft-deleted secrets: they read as missing and refuse writes, as in Key Vault. */
  readonly deleted = new Map<string, DeletedSecretInfo>();

  async readLatest(secretName: string): Promise<PublishedSecret | undefined> {
    return this.versions.get(secretName.toLowerCase())?.at(-1);
  }

  async findDeleted(secretName: string): Promise<DeletedSecretInfo | undefined> {
    return this.deleted.get(secretName.toLowerCase());
  }

  async findVersion(
    secretName: string,
    matches: (tags: Readonly<Record<string, string>>) => boolean,
  ): Promise<SecretVersionInfo | undefined> {
    const found = this.versions.get(secretName.toLowerCase())?.find((version) => matches(version.tags));
    return found ? { version: found.version, tags: found.tags, createdOn: undefined } : undefined;
  }

  /** Soft-deletes the secret: every version moves out of reach until recovered. */
  softDelete(secretName: string, deletedOn = new Date()): void {
    this.versions.delete(secretName.toLowerCase());
    this.deleted.set(secretName.toLowerCase(), { deletedOn, scheduledPurgeDate: new Date(deletedOn.getTime() + 90 * 24 * 60 * 60 * 1000) });
  }

  async publish(secretName: string, publication: CallbackUrlPublication): Promise<{ version: string }> {
    if (this.deleted.has(secretName.toLowerCase())) {
      throw new RestError(`Secret ${secretName} is currently in a deleted but recoverable state`, { statusCode: 409, code: 'Conflict' });
    }
    if (this.failPublish) {
      throw new RestError('Operation returned an invalid status code', { statusCode: 503, code: 'ServiceUnavailable' });
    }
    return this.seed(secretName, publication.value, { ...publication.tags }, publication.contentType, publication.expiresOn);
  }

  seed(secretName: string, value: string, tags: Record<string, string>, contentType?: string, expiresOn?: Date): { version: string } {
    const list = this.versions.get(secretName.toLowerCase()) ?? [];
    const version = `v${list.length + 1}`;
    list.push({ secretName, version, value, contentType, tags, expiresOn });
    this.versions.set(secretName.toLowerCase(), list);
    return { version };
  }

  latest(secretName: string): PublishedSecret | undefined {
    return this.versions.get(secretName.toLowerCase())?.at(-1);
  }
}
