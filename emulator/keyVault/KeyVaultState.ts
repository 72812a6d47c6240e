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

/** A vault's secrets: every write is a new version, the newest is "latest". */
export class KeyVaultState {
  private readonly secrets = new Map<string, StoredSecret>();

  /** Oldest first; empty when the secret does not exist. */
  versions(name: string): readonly StoredSecretVersion[] {
    return [...(this.secrets.get(name.toLowerCase())?.versions ?? [])];
  }

  latest(name: string): StoredSecretVersion | undefined {
    return this.secrets.get(name.toLowerCase())?.versions.at(-1);
  }

  /** Creates a version directly, for secrets that exist before a test starts. */
  seed(name: string, value: string, options: { contentType?: string; tags?: Record<string, string>; expiresOn?: Date } = {}): StoredSecretVersion {
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

  /** Every secret's stored name, in the order they were created. */
  names(): string[] {
    return [...this.secrets.values()].map((secret) => secret.name);
  }
}
