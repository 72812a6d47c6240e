import { randomBytes } from 'crypto';
import type { KeyVaultState } from '../keyVault/KeyVaultState';
import type { ResourceGroups } from '../logic/armResources';
import type { WorkflowHosts } from '../workflowHosts';

/**
 * API Management (Microsoft.ApiManagement) as far as sas-rotator's dependents need it: services and their
 * named values, the long-running operations that write them, and the oracle that says whether the URL an
 * API would call with a named value works right now.
 */

/** Where a named value's `sig` goes: the workflow whose callback URL the API completes with it (APIM's "Import Logic App"). */
export interface CalledWorkflow {
  readonly workflowId: string;
  readonly trigger: string;
}

export interface SeedNamedValueOptions {
  /** What it holds: a whole callback URL or only its `sig`. Leave out for a Key Vault reference. */
  readonly value?: string;
  /** Encrypted: GET leaves `value` out, POST listValue reveals it. Default false (true for a Key Vault reference). */
  readonly secret?: boolean;
  /** A Key Vault reference (`https://<vault>/secrets/<name>[/<version>]`): APIM refreshes the value from the vault. */
  readonly keyVaultSecretIdentifier?: string;
  /** For a sig-only value: which workflow's trigger URL the API's policy completes with it. */
  readonly callsWorkflow?: CalledWorkflow;
  readonly displayName?: string;
  readonly tags?: readonly string[];
}

export interface StoredNamedValue {
  /** `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service/{svc}/namedValues/{nv}`, as first spelled. */
  readonly id: string;
  readonly serviceId: string;
  readonly name: string;
  displayName: string;
  value: string | undefined;
  secret: boolean;
  keyVault: { secretIdentifier: string; identityClientId?: string } | undefined;
  tags: string[];
  callsWorkflow: CalledWorkflow | undefined;
  /** Bumped by every write: the ETag is derived from it. */
  revision: number;
  /** When a Key Vault reference was last refreshed (`keyVault.lastStatus.timeStampUtc`). */
  refreshedAt: Date;
}

/** What a named value write changes: the properties PATCH (and PUT) accept. */
export interface NamedValueWrite {
  readonly displayName?: string;
  readonly value?: string;
  readonly secret?: boolean;
  readonly tags?: readonly string[];
  readonly keyVault?: { readonly secretIdentifier?: string; readonly identityClientId?: string };
}

/** How APIM answers a write (PATCH or PUT of a named value). */
export type WriteCompletion =
  /** 202 with Location and Azure-AsyncOperation; the operation reports InProgress for `pollsInProgress` polls, then Succeeded. */
  | 'accepted'
  /** 200 (201 for a new one) with the entity at once: no polling. */
  | 'synchronous';

/** A long-running write that goes wrong: it fails after its InProgress polls, or never leaves InProgress. */
export interface LongRunningFault {
  readonly outcome: 'failed' | 'neverCompletes';
  /** How many writes it applies to. Default 1; `Infinity` for all. */
  times?: number;
  /** The operation's error when it fails. Default `OperationFailed`. */
  readonly errorCode?: string;
  readonly message?: string;
}

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed';

export interface LongRunningOperation {
  readonly id: string;
  readonly namedValueId: string;
  /** What the status code of the write would have been had it completed synchronously (200, or 201 for a new one). */
  readonly asyncCode: 200 | 201;
  status: OperationStatus;
  pollsLeft: number;
  readonly neverCompletes: boolean;
  readonly failure?: { readonly code: string; readonly message: string };
  readonly startTime: Date;
  endTime?: Date;
  /** Makes the write take effect (when the operation succeeds). */
  readonly apply: () => void;
}

/** The long-running behaviour of named value writes; `reset()` puts the defaults back and drops the faults. */
export class LongRunningWrites {
  completion: WriteCompletion = 'accepted';
  /** How many polls of an accepted write answer InProgress before it completes. Default 1. */
  pollsInProgress = 1;
  /** `Retry-After` on the 202 and on InProgress polls (seconds); the SDK polls every 2 s without one. Default: none. */
  retryAfterSeconds: number | undefined = undefined;
  private faults: LongRunningFault[] = [];

  /** Arms a fault for the next accepted writes (a synchronous write cannot fail this way). */
  add(fault: LongRunningFault): void {
    const times = fault.times ?? 1;
    if (!(times > 0)) throw new RangeError(`LongRunningFault.times must be positive, got ${times}`);
    this.faults.push({ ...fault, times });
  }

  reset(): void {
    this.completion = 'accepted';
    this.pollsInProgress = 1;
    this.retryAfterSeconds = undefined;
    this.faults = [];
  }

  /** The fault the next accepted write gets, using up one of its `times`. */
  take(): LongRunningFault | undefined {
    const fault = this.faults[0];
    if (!fault) return undefined;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) this.faults.shift();
    return fault;
  }
}

const namedValueIdPattern =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ApiManagement\/service\/([^/]+)\/namedValues\/([^/]+)$/i;
const serviceIdPattern = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ApiManagement\/service\/([^/]+)$/i;

export function namedValueResourceId(subscriptionId: string, resourceGroup: string, serviceName: string, name: string): string {
  return `${serviceResourceId(subscriptionId, resourceGroup, serviceName)}/namedValues/${name}`;
}

export function serviceResourceId(subscriptionId: string, resourceGroup: string, serviceName: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ApiManagement/service/${serviceName}`;
}

/**
 * `emulator.apiManagement`: API Management services and named values, seeded by tests and written through
 * ARM (`Microsoft.ApiManagement/service/{svc}/namedValues`, api-version 2022-08-01).
 */
export class ApiManagementState {
  /** Service IDs (lower case) → the ID as first spelled. */
  private readonly services = new Map<string, string>();
  private readonly namedValues = new Map<string, StoredNamedValue>();
  private readonly operations = new Map<string, LongRunningOperation>();
  /** How writes complete, and their long-running faults. Reset it after a test that changed it. */
  readonly longRunning = new LongRunningWrites();

  constructor(
    private readonly hosts: WorkflowHosts,
    private readonly keyVault: KeyVaultState,
    private readonly resourceGroups: ResourceGroups,
  ) {}

  /** An API Management service with no named values yet; returns its ID. Its resource group exists from then on. */
  addService(serviceId: string): string {
    const match = serviceIdPattern.exec(serviceId);
    if (!match) throw new Error(`Not an API Management service ID: ${serviceId}`);
    const [, subscriptionId = '', resourceGroup = ''] = match;
    this.resourceGroups.add(subscriptionId, resourceGroup);
    const key = serviceId.toLowerCase();
    if (!this.services.has(key)) this.services.set(key, serviceId);
    return this.services.get(key) as string;
  }

  serviceExists(serviceId: string): boolean {
    return this.services.has(serviceId.toLowerCase());
  }

  /**
   * Creates (or replaces) a named value, and its service. `value` holds a callback URL or only a `sig`
   * (then `callsWorkflow` says whose URL the API completes with it); `keyVaultSecretIdentifier` makes it
   * a Key Vault reference instead. Returns its resource ID.
   */
  seedNamedValue(resourceId: string, options: SeedNamedValueOptions): string {
    const match = namedValueIdPattern.exec(resourceId);
    if (!match) throw new Error(`Not an API Management named value ID: ${resourceId}`);
    const [, subscriptionId = '', resourceGroup = '', serviceName = '', name = ''] = match;
    if ((options.value === undefined) === (options.keyVaultSecretIdentifier === undefined)) {
      throw new Error('seedNamedValue: give exactly one of value and keyVaultSecretIdentifier');
    }
    const serviceId = this.addService(serviceResourceId(subscriptionId, resourceGroup, serviceName));
    const existing = this.find(resourceId);
    const stored: StoredNamedValue = {
      id: existing?.id ?? resourceId,
      serviceId,
      name: existing?.name ?? name,
      displayName: options.displayName ?? name.replace(/[^A-Za-z0-9-._]/g, '-'),
      value: options.value,
      secret: options.secret ?? options.keyVaultSecretIdentifier !== undefined,
      keyVault: options.keyVaultSecretIdentifier !== undefined ? { secretIdentifier: options.keyVaultSecretIdentifier } : undefined,
      tags: [...(options.tags ?? [])],
      callsWorkflow: options.callsWorkflow,
      revision: (existing?.revision ?? 0) + 1,
      refreshedAt: new Date(),
    };
    this.namedValues.set(resourceId.toLowerCase(), stored);
    return stored.id;
  }

  find(resourceId: string): StoredNamedValue | undefined {
    return this.namedValues.get(resourceId.toLowerCase());
  }

  /** What a named value holds now (a Key Vault reference: what APIM would have fetched). Secret: for assertions, never print it. */
  valueOf(resourceId: string): string | undefined {
    const stored = this.find(resourceId);
    if (!stored) return undefined;
    return stored.keyVault ? this.keyVaultValue(stored.keyVault.secretIdentifier) : stored.value;
  }

  /**
   * The oracle: would the call an API makes with this named value start its workflow right now? A
   * whole URL is checked as is; a `sig` completes the current callback URL of the workflow it was seeded
   * with (`callsWorkflow`); a Key Vault reference resolves its secret in the emulator's vault (the latest
   * version, or the pinned one), as APIM's refresh would.
   */
  urlWorks(resourceId: string): boolean {
    const stored = this.find(resourceId);
    if (!stored) return false;
    const value = this.valueOf(resourceId);
    if (value === undefined) return false;
    const trimmed = value.trim();
    if (/^https?:\/\//i.test(trimmed)) return this.hosts.isCallbackUrlValid(trimmed);
    if (!stored.callsWorkflow) return false;
    const { workflowId, trigger } = stored.callsWorkflow;
    // Both keys sign the same path, sp and sv: only the sig differs, so the Primary URL carries any sig.
    const url = new URL(this.hosts.currentCallbackUrl(workflowId, trigger, 'Primary'));
    let sig: string;
    try {
      sig = decodeURIComponent(trimmed);
    } catch {
      return false;
    }
    url.searchParams.set('sig', sig);
    return this.hosts.isCallbackUrlValid(url.toString());
  }

  /** The ETag APIM reports for a named value: opaque, quoted, new after every write. */
  etagOf(stored: StoredNamedValue): string {
    const revision = Buffer.alloc(8);
    revision.writeBigUInt64BE(BigInt(stored.revision));
    return `"${revision.toString('base64')}"`;
  }

  /** Applies a write now (what a completed operation does). */
  write(resourceId: string, write: NamedValueWrite, create?: { serviceId: string; name: string }): StoredNamedValue {
    let stored = this.find(resourceId);
    if (!stored) {
      if (!create) throw new Error(`No named value ${resourceId}`);
      stored = {
        id: resourceId,
        serviceId: create.serviceId,
        name: create.name,
        displayName: write.displayName ?? create.name,
        value: undefined,
        secret: false,
        keyVault: undefined,
        tags: [],
        callsWorkflow: undefined,
        revision: 0,
        refreshedAt: new Date(),
      };
      this.namedValues.set(resourceId.toLowerCase(), stored);
    }
    if (write.displayName !== undefined) stored.displayName = write.displayName;
    if (write.secret !== undefined) stored.secret = write.secret;
    if (write.tags !== undefined) stored.tags = [...write.tags];
    if (write.value !== undefined) {
      stored.value = write.value;
      stored.keyVault = undefined;
    }
    if (write.keyVault?.secretIdentifier !== undefined) {
      stored.keyVault = {
        secretIdentifier: write.keyVault.secretIdentifier,
        ...(write.keyVault.identityClientId !== undefined ? { identityClientId: write.keyVault.identityClientId } : {}),
      };
      stored.value = undefined;
      stored.refreshedAt = new Date();
    }
    stored.revision += 1;
    return stored;
  }

  /** Starts a long-running write; it takes effect when the operation succeeds. */
  startOperation(namedValueId: string, asyncCode: 200 | 201, apply: () => void): LongRunningOperation {
    const fault = this.longRunning.take();
    const operation: LongRunningOperation = {
      id: randomBytes(12).toString('hex'),
      namedValueId,
      asyncCode,
      status: 'InProgress',
      pollsLeft: this.longRunning.pollsInProgress,
      neverCompletes: fault?.outcome === 'neverCompletes',
      ...(fault?.outcome === 'failed'
        ? {
            failure: {
              code: fault.errorCode ?? 'OperationFailed',
              message: fault.message ?? 'The operation on the named value failed. Please retry the request.',
            },
          }
        : {}),
      startTime: new Date(),
      apply,
    };
    this.operations.set(operation.id, operation);
    return operation;
  }

  /** One poll of an operation: it reports InProgress for its polls, then completes (or never does). */
  poll(operationId: string): LongRunningOperation | undefined {
    const operation = this.operations.get(operationId.toLowerCase());
    if (!operation || operation.status !== 'InProgress' || operation.neverCompletes) return operation;
    if (operation.pollsLeft > 0) {
      operation.pollsLeft -= 1;
      return operation;
    }
    if (operation.failure) operation.status = 'Failed';
    else {
      operation.apply();
      operation.status = 'Succeeded';
    }
    operation.endTime = new Date();
    return operation;
  }

  operation(operationId: string): LongRunningOperation | undefined {
    return this.operations.get(operationId.toLowerCase());
  }

  /** The value of a Key Vault secret a named value references: the pinned version, or the latest. */
  keyVaultValue(secretIdentifier: string): string | undefined {
    let path: string;
    try {
      path = new URL(secretIdentifier).pathname;
    } catch {
      return undefined;
    }
    const match = /^\/secrets\/([^/]+)(?:\/([^/]*))?\/?$/i.exec(path);
    if (!match) return undefined;
    const [, name = '', version = ''] = match;
    const found = this.keyVault.find(decodeURIComponent(name), version);
    return found?.enabled ? found.value : undefined;
  }
}
