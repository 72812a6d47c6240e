import type { KeyType } from './KeyType';
import type { RotationTarget } from './RotationTarget';

/**
 * The narrow interfaces the protocol needs from Azure. Adapters in src/azure/<service>/ implement them
 * with the Azure SDK; nothing in src/rotation imports an SDK.
 */
export interface OperationOptions {
  /** The run's deadline: every I/O call stops when it fires. */
  readonly abortSignal?: AbortSignal;
}

/** A workflow host (Consumption Logic Apps today) that owns the access keys of a workflow. */
export interface WorkflowGateway {
  /** The trigger's callback URL signed with the given key. */
  listCallbackUrl(target: RotationTarget, keyType: KeyType, options?: OperationOptions): Promise<string>;
  /** Replaces the given key; every URL signed with its old value stops working. */
  regenerateAccessKey(target: RotationTarget, keyType: KeyType, options?: OperationOptions): Promise<void>;
}

/** The latest version of a target's secret, as stored. */
export interface PublishedSecret {
  readonly secretName: string;
  readonly version: string;
  /** The published callback URL. Secret. */
  readonly value: string | undefined;
  readonly contentType: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly expiresOn: Date | undefined;
}

/** What a rotation writes as a new secret version (docs/design.md §5). */
export interface CallbackUrlPublication {
  readonly value: string;
  readonly contentType: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly expiresOn: Date;
}

/** A secret that was deleted but can still be recovered (Key Vault soft delete). */
export interface DeletedSecretInfo {
  readonly deletedOn: Date | undefined;
  /** When the vault purges it for good; until then its name cannot be written. */
  readonly scheduledPurgeDate: Date | undefined;
}

/** One stored version's metadata: never its value. */
export interface SecretVersionInfo {
  readonly version: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly createdOn: Date | undefined;
}

/** Where consumers read the callback URL: Key Vault. */
export interface CallbackUrlStore {
  /** The latest version of the secret, or undefined when it does not exist (neither live nor deleted: see `findDeleted`). */
  readLatest(secretName: string, options?: OperationOptions): Promise<PublishedSecret | undefined>;
  /**
   * The soft-deleted secret of that name, or undefined when there is none. A deleted secret reads
   * as missing, yet its name cannot be written until it is recovered or purged.
   */
  findDeleted(secretName: string, options?: OperationOptions): Promise<DeletedSecretInfo | undefined>;
  /** The first version (any order) whose tags satisfy `matches`, or undefined; reads metadata only. */
  findVersion(
    secretName: string,
    matches: (tags: Readonly<Record<string, string>>) => boolean,
    options?: OperationOptions,
  ): Promise<SecretVersionInfo | undefined>;
  /** Writes a new version of the secret and returns its version id. */
  publish(secretName: string, publication: CallbackUrlPublication, options?: OperationOptions): Promise<{ version: string }>;
}

/** Proof that this process is the only writer of a target right now. */
export interface TargetLeaseHandle {
  /** Fires if the lease is lost (renewal failed): stop touching the target at once. */
  readonly lostSignal: AbortSignal;
  /** Gives the lease back; safe to call twice. Never throws. */
  release(): Promise<void>;
}

/**
 * Single writer per target across timer overlaps, instances and the CLI. A lease left by a crashed
 * holder expires on its own, so the next run can take the target.
 */
export interface TargetLeases {
  /** The lease, or undefined when another run holds it (the caller skips the target). */
  tryAcquire(target: RotationTarget, options?: OperationOptions): Promise<TargetLeaseHandle | undefined>;
}
