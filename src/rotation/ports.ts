import type { CallbackUrl } from './CallbackUrl';
import type { Dependent, DependentHolding, DependentKind } from './Dependent';
import type { DiscoveryProblem } from './DiscoveryProblem';
import type { RotationStep } from './failures';
import type { KeyType } from './KeyType';
import type { RotationTarget } from './RotationTarget';

/**
 * The narrow interfaces the protocol needs from Azure, and what passes through them. Adapters in
 * src/azure/<service>/ implement them with the Azure SDK; nothing in src/rotation imports an SDK.
 * An Azure error crosses a port as thrown: the protocol reads it in one place (`describeFailure`).
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

/**
 * The management APIs of a target's dependents (docs/design.md §12): API Management named values,
 * Monitor action groups, Event Grid event subscriptions; one adapter per kind. A dependent that is
 * not what it should be (no Logic App receiver for the workflow, no WebHook destination, a value
 * that is neither a callback URL nor a sig) is a `TargetRotationError` at step `dependents`.
 */
export interface DependentGateway {
  /** What the dependent holds for the target now. */
  read(dependent: Dependent, target: RotationTarget, options?: OperationOptions): Promise<DependentHolding>;
  /**
   * Makes the dependent hold `url`, in the form it holds now (the whole URL, or only its sig), and
   * waits until the change is in effect (the long-running operations of APIM and Event Grid).
   * Never called for a Key Vault reference.
   */
  update(dependent: Dependent, target: RotationTarget, url: CallbackUrl, options?: OperationOptions): Promise<void>;
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
  /** The vault's URL, e.g. `https://<name>.vault.azure.net/`: Key Vault references must point into it. */
  readonly vaultUrl: string;
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

// The telemetry port: the events dashboards and alerts read (docs/design.md §6), and where they go.

/** A target got a fresh key and its new callback URL was published (`SasKeyRotated`). */
export interface TargetRotatedEvent {
  readonly workflowId: string;
  readonly trigger: string;
  readonly keyType: KeyType;
  readonly secretName: string;
  readonly secretVersion: string;
  readonly oldSigFingerprint: string;
  readonly newSigFingerprint: string;
  readonly sigChanged: boolean;
  /** A single-key host (Power Automate): the previously published URL died at once. */
  readonly hardCut: boolean;
  readonly invocationId: string;
  readonly durationMs: number;
}

/** A target could not be rotated (`SasKeyRotationFailed`). The message is already scrubbed. */
export interface TargetFailedEvent {
  readonly workflowId: string;
  readonly trigger: string;
  readonly keyType: KeyType | undefined;
  readonly step: RotationStep;
  readonly statusCode: number | undefined;
  readonly errorCode: string | undefined;
  readonly message: string;
  readonly invocationId: string;
  readonly durationMs: number;
}

/** Discovery could not see part of a scope, or left a tagged resource out (`SasKeyDiscoveryFailed`). */
export interface DiscoveryFailedEvent extends DiscoveryProblem {
  readonly invocationId: string;
}

/** A dependent was brought to the latest published URL (`SasKeyDependentUpdated`). */
export interface DependentUpdatedEvent {
  readonly workflowId: string;
  readonly dependentId: string;
  readonly dependentKind: DependentKind;
  /** What it holds: the whole URL, or only the sig. */
  readonly form: 'url' | 'sig';
  /** Fingerprints of the sigs it held before (comma-separated, one per copy). */
  readonly oldSigFingerprints: string;
  readonly newSigFingerprint: string;
  readonly invocationId: string;
}

/**
 * A dependent could not be read, updated, or is misconfigured (`SasKeyDependentUpdateFailed`): it may
 * hold a URL that a later rotation would cut off, so the gate keeps that key until it is fixed.
 */
export interface DependentFailedEvent {
  readonly workflowId: string;
  readonly dependentId: string;
  readonly dependentKind: DependentKind;
  readonly statusCode: number | undefined;
  readonly errorCode: string | undefined;
  /** Already scrubbed. */
  readonly message: string;
  readonly invocationId: string;
}

export type RunOutcome = 'Succeeded' | 'PartiallyFailed' | 'Failed' | 'NothingDue';

/** Once per run (`SasKeyRotationRun`). */
export interface RotationRunEvent {
  readonly outcome: RunOutcome;
  readonly invocationId: string;
  readonly isPastDue: boolean;
  readonly targets: number;
  readonly rotated: number;
  readonly skipped: number;
  readonly failed: number;
  /** Discovery problems of the run (each also a `SasKeyDiscoveryFailed`); any makes the run incomplete. */
  readonly discoveryProblems: number;
  /** Dependents that could not be kept in step (each also a `SasKeyDependentUpdateFailed`). */
  readonly dependentFailures: number;
  readonly durationMs: number;
}

/** Where rotations are recorded for dashboards and alerts (Application Insights, or nowhere). */
export interface RotationTelemetry {
  trackTargetRotated(event: TargetRotatedEvent): void;
  trackTargetFailed(event: TargetFailedEvent): void;
  trackDiscoveryFailed(event: DiscoveryFailedEvent): void;
  trackDependentUpdated(event: DependentUpdatedEvent): void;
  trackDependentFailed(event: DependentFailedEvent): void;
  trackRun(event: RotationRunEvent): void;
  /** Sends everything buffered; a run calls it before it ends. */
  flush(): Promise<void>;
}
