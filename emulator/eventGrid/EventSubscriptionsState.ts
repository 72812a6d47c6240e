import { randomUUID } from 'crypto';
import type { ResourceGroups } from '../logic/armResources';
import type { WorkflowHosts } from '../workflowHosts';

/**
 * Event Grid event subscriptions in their extension form (`<scope>/providers/Microsoft.EventGrid/eventSubscriptions/{name}`,
 * the scope a subscription, a resource group or a resource), and the long-running operations that change them.
 *
 * Event Grid's validation handshake (Learn, "Endpoint validation with Event Grid events schema": "At the time of
 * event subscription creation/update, Event Grid posts a subscription validation event to the target endpoint"):
 * Consumption Logic Apps answer it for their callback URLs; Logic Apps Standard workflows do not unless the workflow
 * does the handshake itself (Microsoft Tech Community, "Using single-tenant Logic App workflow endpoint as Event Grid
 * ...", 2022-01-19). So an update to a URL that does not work now, or to a Standard workflow's URL, ends Failed with
 * Event Grid's `Url validation` error, and the subscription keeps its previous destination.
 */

export const eventSubscriptionsApiVersion = '2022-06-15';

/** The WebHook destination's properties as stored (endpointUrl whole: secret). */
export interface StoredWebHookDestination {
  readonly endpointType: 'WebHook';
  readonly endpointUrl: string;
  readonly maxEventsPerBatch: number;
  readonly preferredBatchSizeInKilobytes: number;
  readonly azureActiveDirectoryTenantId?: string;
  readonly azureActiveDirectoryApplicationIdOrUri?: string;
  readonly deliveryAttributeMappings?: readonly unknown[];
}

/** Any other destination (EventHub, StorageQueue, AzureFunction, …), kept as sent. */
export interface StoredOtherDestination {
  readonly endpointType: string;
  readonly properties: Readonly<Record<string, unknown>>;
}

export type StoredDestination = StoredWebHookDestination | StoredOtherDestination;

export type EventSubscriptionProvisioningState =
  'Creating' | 'Updating' | 'Deleting' | 'Succeeded' | 'Canceled' | 'Failed' | 'AwaitingManualAction';

export interface StoredEventSubscription {
  /** The resource ID as seeded, `<scope>/providers/Microsoft.EventGrid/eventSubscriptions/{name}`. */
  readonly id: string;
  /** `/subscriptions/{s}[/…]`, with its leading slash. */
  readonly scope: string;
  readonly name: string;
  readonly subscriptionId: string;
  readonly resourceGroup?: string;
  destination: StoredDestination;
  filter: Record<string, unknown>;
  labels: string[];
  provisioningState: EventSubscriptionProvisioningState;
}

export interface SeedEventSubscriptionOptions {
  /** A WebHook destination to this URL (secret: the query is never shown by GET). */
  readonly endpointUrl?: string;
  readonly maxEventsPerBatch?: number;
  readonly preferredBatchSizeInKilobytes?: number;
  readonly azureActiveDirectoryTenantId?: string;
  readonly azureActiveDirectoryApplicationIdOrUri?: string;
  readonly deliveryAttributeMappings?: readonly unknown[];
  /** Another destination instead of a WebHook (e.g. `{ endpointType: 'StorageQueue', properties: {…} }`). */
  readonly destination?: StoredOtherDestination;
  readonly labels?: readonly string[];
  /** The event filter, as the spec spells it (default `{ isSubjectCaseSensitive: false }`). */
  readonly filter?: Readonly<Record<string, unknown>>;
}

/** How the next long-running updates end (the handshake still decides Succeeded or Failed unless `outcome` forces it). */
export interface EventSubscriptionUpdateBehaviour {
  /** Polls of the operation status that still say InProgress. Default 1. */
  readonly inProgressPolls?: number;
  /** `handshake` (default): the validation handshake decides; `failed`: ends Failed anyway; `neverCompletes`: stays InProgress. */
  readonly outcome?: 'handshake' | 'failed' | 'neverCompletes';
  /** Retry-After (seconds) on the status answers; none by default. */
  readonly retryAfterSeconds?: number;
}

export interface OperationError {
  readonly code: string;
  readonly message: string;
}

export interface AsyncOperation {
  readonly id: string;
  readonly subscriptionId: string;
  readonly eventSubscriptionKey: string;
  /** What the operation will make of the subscription when it succeeds. */
  readonly pending: { destination: StoredDestination; filter: Record<string, unknown>; labels: string[] };
  readonly error: OperationError | undefined;
  readonly inProgressPolls: number;
  readonly neverCompletes: boolean;
  readonly retryAfterSeconds: number | undefined;
  polls: number;
  status: 'InProgress' | 'Succeeded' | 'Failed';
}

const idPattern =
  /^(\/subscriptions\/([^/]+)(?:\/resourceGroups\/([^/]+))?(?:\/[^/]+\/[^/]+)*?)\/providers\/Microsoft\.EventGrid\/eventSubscriptions\/([^/]+)$/i;

/** Reads `<scope>/providers/Microsoft.EventGrid/eventSubscriptions/{name}`; `undefined` for another path. */
export function parseEventSubscriptionId(
  id: string,
): { readonly scope: string; readonly subscriptionId: string; readonly resourceGroup?: string; readonly name: string } | undefined {
  const match = idPattern.exec(id);
  if (!match) return undefined;
  const [, scope = '', subscriptionId = '', resourceGroup, name = ''] = match;
  return { scope, subscriptionId, ...(resourceGroup !== undefined ? { resourceGroup } : {}), name };
}

/** The endpoint URL without its query: what GET shows as `endpointBaseUrl`. */
export function endpointBaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url.split('?')[0] ?? '';
  }
}

export class EventSubscriptionsState {
  private readonly subscriptions = new Map<string, StoredEventSubscription>();
  private readonly operations = new Map<string, AsyncOperation>();
  private behaviours: EventSubscriptionUpdateBehaviour[] = [];
  private defaultBehaviour: EventSubscriptionUpdateBehaviour = {};

  constructor(
    private readonly hosts: WorkflowHosts,
    private readonly resourceGroups: ResourceGroups,
  ) {}

  /** Creates (or replaces) an event subscription, provisioned; returns its resource ID. */
  seedEventSubscription(resourceId: string, options: SeedEventSubscriptionOptions): string {
    const parsed = parseEventSubscriptionId(resourceId);
    if (!parsed) throw new Error(`Not an event subscription ID: ${resourceId}`);
    if (options.endpointUrl === undefined && options.destination === undefined) throw new Error('Seed an endpointUrl or a destination');
    if (parsed.resourceGroup !== undefined) this.resourceGroups.add(parsed.subscriptionId, parsed.resourceGroup);
    const destination: StoredDestination =
      options.destination ??
      webHookDestination({
        endpointUrl: options.endpointUrl ?? '',
        maxEventsPerBatch: options.maxEventsPerBatch,
        preferredBatchSizeInKilobytes: options.preferredBatchSizeInKilobytes,
        azureActiveDirectoryTenantId: options.azureActiveDirectoryTenantId,
        azureActiveDirectoryApplicationIdOrUri: options.azureActiveDirectoryApplicationIdOrUri,
        deliveryAttributeMappings: options.deliveryAttributeMappings,
      });
    this.subscriptions.set(resourceId.toLowerCase(), {
      id: resourceId,
      ...parsed,
      destination,
      filter: { ...(options.filter ?? { isSubjectCaseSensitive: false }) },
      labels: [...(options.labels ?? [])],
      provisioningState: 'Succeeded',
    });
    return resourceId;
  }

  find(resourceId: string): StoredEventSubscription | undefined {
    return this.subscriptions.get(resourceId.toLowerCase());
  }

  /** The whole endpoint URL a WebHook subscription calls now (secret); undefined for another destination. */
  endpointUrl(resourceId: string): string | undefined {
    const destination = this.require(resourceId).destination;
    return isWebHook(destination) ? destination.endpointUrl : undefined;
  }

  /** The oracle: whether the URL the subscription would deliver to right now works (a WebHook to a live callback URL). */
  urlWorks(resourceId: string): boolean {
    const url = this.endpointUrl(resourceId);
    return url !== undefined && this.hosts.isCallbackUrlValid(url);
  }

  /** How the next update ends (queued, one per update); then `setDefaultUpdateBehaviour`'s applies again. */
  nextUpdate(behaviour: EventSubscriptionUpdateBehaviour): void {
    this.behaviours.push(behaviour);
  }

  /** How every update ends unless `nextUpdate` queued one. */
  setDefaultUpdateBehaviour(behaviour: EventSubscriptionUpdateBehaviour): void {
    this.defaultBehaviour = behaviour;
  }

  /** Forgets queued behaviours and restores the default (one InProgress poll, the handshake decides). */
  resetUpdateBehaviour(): void {
    this.behaviours = [];
    this.defaultBehaviour = {};
  }

  /**
   * Starts the long-running create or update of `subscription` to `pending`; Event Grid's handshake runs against
   * the new WebHook URL now. The subscription shows `Updating` until the operation ends.
   */
  startUpdate(subscription: StoredEventSubscription, pending: AsyncOperation['pending']): AsyncOperation {
    const behaviour = this.behaviours.shift() ?? this.defaultBehaviour;
    const outcome = behaviour.outcome ?? 'handshake';
    const error =
      outcome === 'failed'
        ? { code: 'InternalServerError', message: 'The operation failed due to an internal server error. Please retry the operation.' }
        : this.handshake(pending.destination);
    const operation: AsyncOperation = {
      id: randomUUID().toUpperCase(),
      subscriptionId: subscription.subscriptionId,
      eventSubscriptionKey: subscription.id.toLowerCase(),
      pending,
      error,
      inProgressPolls: behaviour.inProgressPolls ?? 1,
      neverCompletes: outcome === 'neverCompletes',
      retryAfterSeconds: behaviour.retryAfterSeconds,
      polls: 0,
      status: 'InProgress',
    };
    this.operations.set(operation.id.toLowerCase(), operation);
    if (subscription.provisioningState !== 'Creating') subscription.provisioningState = 'Updating';
    return operation;
  }

  /** One poll of an operation's status: counts it, and ends the operation once its InProgress polls are used up. */
  pollOperation(operationId: string): AsyncOperation | undefined {
    const operation = this.operations.get(operationId.toLowerCase());
    if (!operation) return undefined;
    if (operation.status !== 'InProgress') return operation;
    operation.polls += 1;
    if (operation.neverCompletes || operation.polls <= operation.inProgressPolls) return operation;
    const subscription = this.subscriptions.get(operation.eventSubscriptionKey);
    if (operation.error) {
      operation.status = 'Failed';
      if (subscription) subscription.provisioningState = 'Failed';
    } else {
      operation.status = 'Succeeded';
      if (subscription) {
        subscription.destination = operation.pending.destination;
        subscription.filter = operation.pending.filter;
        subscription.labels = operation.pending.labels;
        subscription.provisioningState = 'Succeeded';
      }
    }
    return operation;
  }

  /** Event Grid's validation handshake against a new destination: only a WebHook is called. */
  private handshake(destination: StoredDestination): OperationError | undefined {
    if (!isWebHook(destination)) return undefined;
    let answers = false;
    try {
      const check = this.hosts.checkCallbackUrl(new URL(destination.endpointUrl));
      // Consumption answers the handshake for its callback URLs; a Standard workflow does not; a flow is not whitelisted either.
      answers = check.valid && check.target.host === 'consumption';
    } catch {
      answers = false;
    }
    if (answers) return undefined;
    return {
      code: 'Url validation',
      message: `Webhook validation handshake failed for ${endpointBaseUrl(destination.endpointUrl)}. Http POST request failed with response code Unknown. For troublehooting, visit https://aka.ms/esvalidation.`,
    };
  }

  private require(resourceId: string): StoredEventSubscription {
    const subscription = this.find(resourceId);
    if (!subscription) throw new Error(`No event subscription ${resourceId} was seeded`);
    return subscription;
  }
}

export function isWebHook(destination: StoredDestination): destination is StoredWebHookDestination {
  return destination.endpointType.toLowerCase() === 'webhook' && 'endpointUrl' in destination;
}

export function webHookDestination(properties: {
  readonly endpointUrl: string;
  readonly maxEventsPerBatch?: number | undefined;
  readonly preferredBatchSizeInKilobytes?: number | undefined;
  readonly azureActiveDirectoryTenantId?: string | undefined;
  readonly azureActiveDirectoryApplicationIdOrUri?: string | undefined;
  readonly deliveryAttributeMappings?: readonly unknown[] | undefined;
}): StoredWebHookDestination {
  return {
    endpointType: 'WebHook',
    endpointUrl: properties.endpointUrl,
    maxEventsPerBatch: properties.maxEventsPerBatch ?? 1,
    preferredBatchSizeInKilobytes: properties.preferredBatchSizeInKilobytes ?? 64,
    ...(properties.azureActiveDirectoryTenantId !== undefined
      ? { azureActiveDirectoryTenantId: properties.azureActiveDirectoryTenantId }
      : {}),
    ...(properties.azureActiveDirectoryApplicationIdOrUri !== undefined
      ? { azureActiveDirectoryApplicationIdOrUri: properties.azureActiveDirectoryApplicationIdOrUri }
      : {}),
    ...(properties.deliveryAttributeMappings !== undefined ? { deliveryAttributeMappings: [...properties.deliveryAttributeMappings] } : {}),
  };
}
