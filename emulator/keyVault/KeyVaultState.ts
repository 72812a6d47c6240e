import { randomBytes } from 'crypto';

/** One version of a secret, dates as Date (the wire format is unix seconds). */
export interface StoredSecretVersion {
  readonly version: string;
  readonly value: string;
  readonly contentType?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly enabled: boolean;
  readonly created: Date;
  readonly updated: Date;
  readonly expiresOn?: Date;
  readonly notBefore?: Date;
}

export interface SecretWrite {
  readonly value: string;
  readonly contentType?: string;
  readonly tags?: Record<string, string>;
  readonly enabled?: boolean;
  readonly expiresOn?: Date;
  readonly notBefore?: Date;
}

export interface SecretVersionUpdate {
  readonly contentType?: string;
  readonly tags?: Record<string, string>;
  readonly enabled?: boolean;
  readonly expiresOn?: Date;
  readonly notBefore?: Date;
}

interface StoredSecret {
  /** The name as first written: Key Vault keeps it, while lookups ignore case. */
  readonly name: string;
  readonly versions: StoredSecretVersion[];
}

/** A soft-deleted secret: all its versions, kept until recovered or purged (DeletedSecretBundle). */
export interface DeletedSecretRecord {
  readonly name: string;
  readonly versions: readonly StoredSecretVersion[];
  readonly deletedDate: Date;
  readonly scheduledPurgeDate: Date;
}

/** Soft delete is on in every vault (Azure enforces it); 90 days is the default retention. */
const softDeleteRetentionDays = 90;

/**
 * A vault's secrets: every write is a new version, the newest is "latest". A deleted secret is
 * soft-deleted: its name cannot be reused until it is recovered or purged, as in Azure.
 */
export class KeyVaultState {
  private readonly secrets = new Map<string, StoredSecret>();
  private readonly deletedSecrets = new Map<string, DeletedSecretRecord>();

  /** Oldest first; empty when the secret does not exist. */
  versions(name: string): readonly StoredSecretVersion[] {
    return [...(this.secrets.get(name.toLowerCase())?.versions ?? [])];
  }

  latest(name: string): StoredSecretVersion | undefined {
    return this.secrets.get(name.toLowerCase())?.versions.at(-1);
  }

  /** Creates a version directly, for secrets that exist before a test starts. */
  seed(
    name: string,
    value: string,
    options: { contentType?: string; tags?: Record<string, string>; expiresOn?: Date } = {},
  ): StoredSecretVersion {
    return this.setSecret(name, { value, ...options });
  }

  setSecret(name: string, write: SecretWrite): StoredSecretVersion {
    const now = new Date();
    const version: StoredSecretVersion = {
      version: randomBytes(16).toString('hex'),
      value: write.value,
      ...(write.contentType !== undefined ? { contentType: write.contentType } : {}),
      tags: { ...(write.tags ?? {}) },
      enabled: write.enabled ?? true,
      created: now,
      updated: now,
      ...(write.expiresOn ? { expiresOn: write.expiresOn } : {}),
      ...(write.notBefore ? { notBefore: write.notBefore } : {}),
    };
    const existing = this.secrets.get(name.toLowerCase());
    if (existing) existing.versions.push(version);
    else this.secrets.set(name.toLowerCase(), { name, versions: [version] });
    return version;
  }

  /** The name as stored (first spelling), for identifiers. */
  storedName(name: string): string | undefined {
    return this.secrets.get(name.toLowerCase())?.name;
  }

  /** A version by id; an empty version means the latest, as in Key Vault's URLs. */
  find(name: string, version: string): StoredSecretVersion | undefined {
    const secret = this.secrets.get(name.toLowerCase());
    if (!secret) return undefined;
    if (version === '') return secret.versions.at(-1);
    return secret.versions.find((candidate) => candidate.version === version.toLowerCase());
  }

  updateVersion(name: string, version: string, update: SecretVersionUpdate): StoredSecretVersion | undefined {
    const secret = this.secrets.get(name.toLowerCase());
    const current = this.find(name, version);
    if (!secret || !current) return undefined;
    const updated: StoredSecretVersion = {
      ...current,
      ...(update.contentType !== undefined ? { contentType: update.contentType } : {}),
      ...(update.tags !== undefined ? { tags: { ...update.tags } } : {}),
      ...(update.enabled !== undefined ? { enabled: update.enabled } : {}),
      ...(update.expiresOn !== undefined ? { expiresOn: update.expiresOn } : {}),
      ...(update.notBefore !== undefined ? { notBefore: update.notBefore } : {}),
      updated: new Date(),
    };
    secret.versions[secret.versions.indexOf(current)] = updated;
    return updated;
  }

  /** Soft-deletes a secret (every version); undefined when there is no such secret. */
  deleteSecret(name: string, now = new Date()): DeletedSecretRecord | undefined {
    const secret = this.secrets.get(name.toLowerCase());
    if (!secret) return undefined;
    this.secrets.delete(name.toLowerCase());
    const record: DeletedSecretRecord = {
      name: secret.name,
      versions: secret.versions,
      deletedDate: now,
      scheduledPurgeDate: new Date(now.getTime() + softDeleteRetentionDays * 24 * 60 * 60 * 1000),
    };
    this.deletedSecrets.set(name.toLowerCase(), record);
    return record;
  }

  deleted(name: string): DeletedSecretRecord | undefined {
    return this.deletedSecrets.get(name.toLowerCase());
  }

  deletedNames(): string[] {
    return [...this.deletedSecrets.values()].map((record) => record.name);
  }

  /** Brings a soft-deleted secret back with all its versions. */
  recover(name: string): StoredSecretVersion | undefined {
    const record = this.deletedSecrets.get(name.toLowerCase());
    if (!record) return undefined;
    this.deletedSecrets.delete(name.toLowerCase());
    this.secrets.set(name.toLowerCase(), { name: record.name, versions: [...record.versions] });
    return record.versions.at(-1);
  }

  /** Removes a soft-deleted secret for good; the name is free again. */
  purge(name: string): boolean {
    return this.deletedSecrets.delete(name.toLowerCase());
  }

  /** Every secret's stored name, in the order they were created. */
  names(): string[] {
    return [...this.secrets.values()].map((secret) => secret.name);
  }
}
