import { createHash, randomUUID } from 'node:crypto';
import { isRestError } from '@azure/core-rest-pipeline';
import type { BlobLeaseClient, BlobServiceClient, BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import type { OperationOptions, TargetLeaseHandle, TargetLeases } from '../../rotation/ports';
import type { RotationTarget } from '../../rotation/RotationTarget';

/** The container, in the function app's own storage account, that holds one lease blob per target. */
export const leaseContainerName = 'sas-rotator-leases';

/**
 * The lease blob of a workflow. ARM resource IDs are case-insensitive, so two spellings of one
 * workflow must meet on the same blob; hashing keeps the name within blob naming rules.
 */
export function leaseBlobName(workflowId: string): string {
  return `${createHash('sha256').update(workflowId.toLowerCase(), 'utf8').digest('hex')}.lease`;
}

export interface BlobTargetLeasesOptions {
  /** How long a lease outlives its holder if the holder stops renewing: 15–60 (the service's range). Default 60. */
  readonly leaseDurationInSeconds?: number;
  /** How often a held lease is renewed; shorter than the duration. Default 20 000. */
  readonly renewIntervalInMs?: number;
}

const defaultLeaseDurationInSeconds = 60;
const defaultRenewIntervalInMs = 20_000;
/** A release that cannot reach storage gives up: the lease then expires on its own. */
const releaseTimeoutInMs = 5_000;
/** Storage's answers that mean "another writer holds this target right now". */
const heldByAnotherCodes = new Set(['LeaseAlreadyPresent', 'LeaseIsBreakingAndCannotBeAcquired']);

/**
 * Single writer per target with blob leases (TargetLeases). A lease is finite (60 s by default) and
 * renewed while held, so a crashed holder's lease expires on its own and the next run can take the
 * target, while a live holder keeps it for as long as a rotation takes.
 */
export class BlobTargetLeases implements TargetLeases {
  /** The storage account's blob endpoint, without any SAS: safe to log. */
  readonly blobServiceUrl: string;
  private readonly container: ContainerClient;
  private readonly leaseDurationInSeconds: number;
  private readonly renewIntervalInMs: number;

  constructor(serviceClient: BlobServiceClient, options: BlobTargetLeasesOptions = {}) {
    const leaseDurationInSeconds = options.leaseDurationInSeconds ?? defaultLeaseDurationInSeconds;
    const renewIntervalInMs = options.renewIntervalInMs ?? defaultRenewIntervalInMs;
    // An infinite lease (-1) is refused on purpose: it would outlive a crashed holder forever.
    if (!Number.isInteger(leaseDurationInSeconds) || leaseDurationInSeconds < 15 || leaseDurationInSeconds > 60) {
      throw new RangeError(`leaseDurationInSeconds must be a whole number from 15 to 60, not ${leaseDurationInSeconds}.`);
    }
    if (!(renewIntervalInMs > 0 && renewIntervalInMs < leaseDurationInSeconds * 1000)) {
      throw new RangeError(
        `renewIntervalInMs must be positive and shorter than the lease (${leaseDurationInSeconds * 1000} ms), not ${renewIntervalInMs}.`,
      );
    }
    const url = new URL(serviceClient.url);
    url.search = '';
    this.blobServiceUrl = url.toString().replace(/\/+$/, '');
    this.container = serviceClient.getContainerClient(leaseContainerName);
    this.leaseDurationInSeconds = leaseDurationInSeconds;
    this.renewIntervalInMs = renewIntervalInMs;
  }

  async tryAcquire(target: RotationTarget, options: OperationOptions = {}): Promise<TargetLeaseHandle | undefined> {
    const blob = this.container.getBlockBlobClient(leaseBlobName(target.workflowId));
    // Our own lease ID, so that a renewal or release always names the lease this handle took.
    const lease = blob.getBlobLeaseClient(randomUUID());
    try {
      return await this.acquire(lease, target.workflowId, options);
    } catch (error) {
      if (!isStorageError(error, 404)) {
        throw error;
      }
    }
    // First lease of this target in this account (or the container was deleted): create the blob, then try once more.
    await this.createLeaseBlob(blob, target.workflowId, options);
    return await this.acquire(lease, target.workflowId, options);
  }

  private async acquire(lease: BlobLeaseClient, workflowId: string, options: OperationOptions): Promise<TargetLeaseHandle | undefined> {
    const sentAtMs = Date.now();
    try {
      await lease.acquireLease(this.leaseDurationInSeconds, { abortSignal: options.abortSignal });
    } catch (error) {
      if (isStorageError(error, 409) && heldByAnotherCodes.has(storageErrorCode(error) ?? '')) {
        return undefined;
      }
      // An acquire that succeeded on the service but whose answer was lost (abort, dropped
      // connection) leaves an orphaned lease: it expires after leaseDurationInSeconds.
      throw error;
    }
    return new HeldBlobLease(lease, workflowId, this.leaseDurationInSeconds * 1000, this.renewIntervalInMs, sentAtMs);
  }

  private async createLeaseBlob(blob: BlockBlobClient, workflowId: string, options: OperationOptions): Promise<void> {
    const upload = () =>
      blob.upload('', 0, {
        // For operators browsing the container: the hashed name does not say whose lease it is.
        metadata: { workflowId, managedBy: 'sas-rotator' },
        // Never overwrite: a concurrent run may have created the blob and leased it already.
        conditions: { ifNoneMatch: '*' },
        abortSignal: options.abortSignal,
      });
    try {
      await upload();
    } catch (error) {
      if (!isStorageError(error, 404)) {
        throwUnlessAlreadyCreated(error);
        return;
      }
      // createIfNotExists absorbs 409 ContainerAlreadyExists from a concurrent creator.
      await this.container.createIfNotExists({ abortSignal: options.abortSignal });
      try {
        await upload();
      } catch (retryError) {
        throwUnlessAlreadyCreated(retryError);
      }
    }
  }
}

/**
 * A lease blob that a concurrent run created first is just as good as ours: 409 BlobAlreadyExists,
 * or 412 when it is already leased (LeaseIdMissing) or fails If-None-Match (ConditionNotMet).
 */
function throwUnlessAlreadyCreated(error: unknown): void {
  if (!isStorageError(error, 409) && !isStorageError(error, 412)) {
    throw error;
  }
}

/** One held lease: renewed on an unref'd timer until released or lost. */
class HeldBlobLease implements TargetLeaseHandle {
  private readonly lost = new AbortController();
  private readonly stopped = new AbortController();
  private renewalTimer: NodeJS.Timeout | undefined;
  private renewal: Promise<void> | undefined;
  private releasing: Promise<void> | undefined;
  /** When the service may let someone else in: counted from when the last acquire/renew was sent. */
  private expiresAtMs: number;

  constructor(
    private readonly lease: BlobLeaseClient,
    private readonly workflowId: string,
    private readonly leaseDurationInMs: number,
    private readonly renewIntervalInMs: number,
    acquireSentAtMs: number,
  ) {
    this.expiresAtMs = acquireSentAtMs + leaseDurationInMs;
    this.scheduleRenewal();
  }

  get lostSignal(): AbortSignal {
    return this.lost.signal;
  }

  release(): Promise<void> {
    this.releasing ??= this.releaseOnce();
    return this.releasing;
  }

  private scheduleRenewal(): void {
    // unref: a held lease must not keep a finished CLI process alive.
    this.renewalTimer = setTimeout(() => {
      this.renewal = this.renew();
    }, this.renewIntervalInMs).unref();
  }

  private async renew(): Promise<void> {
    const sentAtMs = Date.now();
    // A renewal still pending when the lease would expire is a lost lease: from then on another
    // writer may hold the target, so the holder must hear about it no later than that.
    const deadline = new AbortController();
    const deadlineTimer = setTimeout(() => deadline.abort(), Math.max(0, this.expiresAtMs - sentAtMs)).unref();
    const stop = () => deadline.abort();
    this.stopped.signal.addEventListener('abort', stop, { once: true });
    try {
      await this.lease.renewLease({ abortSignal: deadline.signal });
      this.expiresAtMs = sentAtMs + this.leaseDurationInMs;
      if (!this.stopped.signal.aborted) {
        this.scheduleRenewal();
      }
    } catch (error) {
      if (!this.stopped.signal.aborted) {
        // The reason names the storage error code only: a RestError carries the request.
        this.lost.abort(new Error(`Lost the lease on ${this.workflowId}: renewal failed (${describeStorageError(error)}).`));
      }
    } finally {
      clearTimeout(deadlineTimer);
      this.stopped.signal.removeEventListener('abort', stop);
    }
  }

  private async releaseOnce(): Promise<void> {
    this.stopped.abort();
    clearTimeout(this.renewalTimer);
    // Let an aborted renewal settle first, so that it cannot reach the service after the release.
    await this.renewal;
    try {
      await this.lease.releaseLease({ abortSignal: AbortSignal.timeout(releaseTimeoutInMs) });
    } catch {
      // Already lost, broken or unreachable: the lease expires on its own.
    }
  }
}

function isStorageError(error: unknown, statusCode: number): boolean {
  return isRestError(error) && error.statusCode === statusCode;
}

/** Storage's own error code (`x-ms-error-code`, which the SDK puts in `details`), else the RestError's. */
function storageErrorCode(error: unknown): string | undefined {
  if (!isRestError(error)) return undefined;
  const errorCode = (error.details as { errorCode?: unknown } | undefined)?.errorCode;
  return typeof errorCode === 'string' ? errorCode : error.code;
}

function describeStorageError(error: unknown): string {
  const statusCode = isRestError(error) ? error.statusCode : undefined;
  const code = storageErrorCode(error);
  const name = error instanceof Error ? error.name : typeof error;
  return [statusCode, code].filter((part) => part !== undefined).join(' ') || name;
}
