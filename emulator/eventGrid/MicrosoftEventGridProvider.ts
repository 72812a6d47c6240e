import { azureError, isPlainObject, jsonResponse, Rejection, type EmulatorRequest, type EmulatorResponse } from '../EmulatorExchange';
import type { ArmApiVersionPolicy } from '../logic/ArmFrontDoor';
import { armRequestObject, resourceOperation } from '../logic/armResources';
import type { ArmOperation, ArmResourceProvider } from '../logic/ArmRouter';
import {
  endpointBaseUrl,
  eventSubscriptionsApiVersion,
  isWebHook,
  parseEventSubscriptionId,
  webHookDestination,
  type AsyncOperation,
  type EventSubscriptionsState,
  type StoredDestination,
  type StoredEventSubscription,
} from './EventSubscriptionsState';

interface EventGridRoute extends ArmOperation {
  /** The event subscription's resource ID as the path spells it. */
  readonly eventSubscriptionId?: string;
  readonly asyncOperationId?: string;
}

const operationStatusPattern =
  /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.EventGrid\/locations\/([^/]+)\/operationsStatus\/([^/]+)$/i;

/** Resolves an ARM path to the Event Grid operation it names: extension event subscriptions and their operation status. */
function resolveRoute(method: string, pathname: string): EventGridRoute | undefined {
  const path = pathname.replace(/\/+$/, '');
  const status = operationStatusPattern.exec(path);
  if (status) {
    if (method !== 'GET') return undefined;
    return {
      operationId: 'EventGrid_OperationsStatus',
      subscriptionId: decodeURIComponent(status[1] ?? ''),
      asyncOperationId: status[3] ?? '',
    };
  }
  const action = /\/(getFullUrl|getDeliveryAttributes)$/i.exec(path)?.[1]?.toLowerCase();
  const id = action ? path.replace(/\/(getFullUrl|getDeliveryAttributes)$/i, '') : path;
  const parsed = parseEventSubscriptionId(id);
  if (!parsed) return undefined;
  const base = {
    subscriptionId: parsed.subscriptionId,
    ...(parsed.resourceGroup !== undefined ? { resourceGroup: parsed.resourceGroup } : {}),
    eventSubscriptionId: id,
  };
  if (action) {
    if (method !== 'POST') return undefined;
    return { operationId: action === 'getfullurl' ? 'EventSubscriptions_GetFullUrl' : 'EventSubscriptions_GetDeliveryAttributes', ...base };
  }
  return resourceOperation(
    method,
    { GET: 'EventSubscriptions_Get', PUT: 'EventSubscriptions_CreateOrUpdate', PATCH: 'EventSubscriptions_Update' },
    base,
  );
}

/**
 * The Microsoft.EventGrid resource provider behind ARM (api-version 2022-06-15): event subscriptions in their
 * extension form on any scope. GET shows a WebHook's `endpointBaseUrl` only (query stripped); POST getFullUrl gives
 * the whole URL; PUT and PATCH are long-running (201 with `Azure-AsyncOperation`, as the spec declares), polled at
 * `…/locations/{location}/operationsStatus/{id}`, which no published spec declares.
 */
export class MicrosoftEventGridProvider implements ArmResourceProvider<EventGridRoute> {
  readonly namespace = 'Microsoft.EventGrid';
  readonly apiVersions: ArmApiVersionPolicy = { supported: ['2020-06-01', '2021-12-01', '2022-06-15', '2025-02-15'] };

  constructor(
    private readonly state: EventSubscriptionsState,
    private readonly armEndpoint: () => string,
  ) {}

  readonly route = resolveRoute;

  handle(request: EmulatorRequest, route: EventGridRoute): EmulatorResponse {
    if (route.operationId === 'EventGrid_OperationsStatus') return this.operationStatus(route);
    const id = route.eventSubscriptionId ?? '';
    const subscription = this.state.find(id);
    if (route.operationId === 'EventSubscriptions_CreateOrUpdate') return this.createOrUpdate(request, id, subscription);
    if (!subscription) return notFound(id);
    switch (route.operationId) {
      case 'EventSubscriptions_Get':
        return jsonResponse(200, eventSubscriptionResource(subscription));
      case 'EventSubscriptions_GetFullUrl':
        if (!isWebHook(subscription.destination)) {
          return azureError(400, 'BadRequest', `Full URL is only available for event subscriptions with a WebHook destination.`);
        }
        return jsonResponse(200, { endpointUrl: subscription.destination.endpointUrl });
      case 'EventSubscriptions_GetDeliveryAttributes':
        return jsonResponse(200, {
          value: isWebHook(subscription.destination) ? (subscription.destination.deliveryAttributeMappings ?? []) : [],
        });
      default:
        return this.update(request, subscription);
    }
  }

  private createOrUpdate(request: EmulatorRequest, id: string, existing: StoredEventSubscription | undefined): EmulatorResponse {
    const body = armRequestObject(request);
    if (body instanceof Rejection) return body.response;
    const properties = isPlainObject(body['properties']) ? body['properties'] : {};
    const destination = readDestination(properties['destination']);
    if (destination instanceof Rejection) return destination.response;
    if (!destination) return azureError(400, 'BadRequest', 'Destination is required.');
    let subscription = existing;
    if (!subscription) {
      // A new subscription exists at once, `Creating`, with what was asked for.
      this.state.seedEventSubscription(id, isWebHook(destination) ? { ...destination } : { destination });
      subscription = this.state.find(id) as StoredEventSubscription;
      subscription.provisioningState = 'Creating';
    }
    const pending = {
      destination,
      filter: isPlainObject(properties['filter']) ? properties['filter'] : subscription.filter,
      labels: Array.isArray(properties['labels']) ? (properties['labels'] as string[]) : subscription.labels,
    };
    return this.started(subscription, this.state.startUpdate(subscription, pending));
  }

  private update(request: EmulatorRequest, subscription: StoredEventSubscription): EmulatorResponse {
    const body = armRequestObject(request);
    if (body instanceof Rejection) return body.response;
    const destination = readDestination(body['destination']);
    if (destination instanceof Rejection) return destination.response;
    const pending = {
      destination: destination ?? subscription.destination,
      filter: isPlainObject(body['filter']) ? body['filter'] : subscription.filter,
      labels: Array.isArray(body['labels']) ? (body['labels'] as string[]) : subscription.labels,
    };
    return this.started(subscription, this.state.startUpdate(subscription, pending));
  }

  /** 201 with the subscription as it will be, `Updating`, and where to poll. */
  private started(subscription: StoredEventSubscription, operation: AsyncOperation): EmulatorResponse {
    const asyncOperation = `${this.armEndpoint()}/subscriptions/${subscription.subscriptionId}/providers/Microsoft.EventGrid/locations/global/operationsStatus/${operation.id}?api-version=${eventSubscriptionsApiVersion}`;
    return jsonResponse(201, eventSubscriptionResource({ ...subscription, ...operation.pending }), {
      'azure-asyncoperation': asyncOperation,
    });
  }

  private operationStatus(route: EventGridRoute): EmulatorResponse {
    const operation = this.state.pollOperation(route.asyncOperationId ?? '');
    if (!operation || operation.subscriptionId.toLowerCase() !== route.subscriptionId.toLowerCase()) {
      return azureError(404, 'ResourceNotFound', `The operation '${route.asyncOperationId ?? ''}' could not be found.`);
    }
    const body = {
      id: `/subscriptions/${operation.subscriptionId}/providers/Microsoft.EventGrid/locations/global/operationsStatus/${operation.id}`,
      name: operation.id.toLowerCase(),
      status: operation.status,
      ...(operation.status === 'Failed' && operation.error ? { error: operation.error } : {}),
    };
    const headers = operation.retryAfterSeconds !== undefined ? { 'retry-after': String(operation.retryAfterSeconds) } : undefined;
    return jsonResponse(200, body, headers);
  }
}

function notFound(id: string): EmulatorResponse {
  const name = id.split('/').pop() ?? '';
  return azureError(404, 'ResourceNotFound', `The Resource 'Microsoft.EventGrid/eventSubscriptions/${name}' was not found.`);
}

/** A destination as sent; `undefined` when none was sent. */
function readDestination(value: unknown): StoredDestination | Rejection | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value) || typeof value['endpointType'] !== 'string') {
    return new Rejection(azureError(400, 'BadRequest', 'Destination endpointType is required.'));
  }
  const properties = isPlainObject(value['properties']) ? value['properties'] : {};
  if (value['endpointType'].toLowerCase() !== 'webhook') return { endpointType: value['endpointType'], properties };
  const endpointUrl = properties['endpointUrl'];
  if (typeof endpointUrl !== 'string' || endpointUrl === '') {
    return new Rejection(azureError(400, 'BadRequest', 'EndpointUrl is required for a WebHook destination.'));
  }
  if (!/^https:\/\//i.test(endpointUrl)) {
    return new Rejection(azureError(400, 'BadRequest', 'The endpoint URL of a WebHook destination must use https.'));
  }
  const number = (name: string): number | undefined => (typeof properties[name] === 'number' ? (properties[name] as number) : undefined);
  const text = (name: string): string | undefined => (typeof properties[name] === 'string' ? (properties[name] as string) : undefined);
  return webHookDestination({
    endpointUrl,
    maxEventsPerBatch: number('maxEventsPerBatch'),
    preferredBatchSizeInKilobytes: number('preferredBatchSizeInKilobytes'),
    azureActiveDirectoryTenantId: text('azureActiveDirectoryTenantId'),
    azureActiveDirectoryApplicationIdOrUri: text('azureActiveDirectoryApplicationIdOrUri'),
    deliveryAttributeMappings: Array.isArray(properties['deliveryAttributeMappings']) ? properties['deliveryAttributeMappings'] : undefined,
  });
}

/**
 * A delivery attribute as GET shows it: a static one's `isSecret` is x-ms-secret in the spec, and a secret one's
 * value is hidden; POST getDeliveryAttributes gives them whole.
 */
function shownMapping(mapping: unknown): unknown {
  if (!isPlainObject(mapping) || mapping['type'] !== 'Static' || !isPlainObject(mapping['properties'])) return mapping;
  const { isSecret, value, ...rest } = mapping['properties'];
  return { ...mapping, properties: isSecret === true ? rest : { ...rest, ...(value !== undefined ? { value } : {}) } };
}

/** The EventSubscription as GET shows it: a WebHook's URL only as `endpointBaseUrl` (EndpointUrl is x-ms-secret). */
function eventSubscriptionResource(subscription: StoredEventSubscription): unknown {
  const { destination } = subscription;
  const shownDestination = isWebHook(destination)
    ? {
        endpointType: 'WebHook',
        properties: {
          endpointBaseUrl: endpointBaseUrl(destination.endpointUrl),
          maxEventsPerBatch: destination.maxEventsPerBatch,
          preferredBatchSizeInKilobytes: destination.preferredBatchSizeInKilobytes,
          ...(destination.azureActiveDirectoryTenantId !== undefined
            ? { azureActiveDirectoryTenantId: destination.azureActiveDirectoryTenantId }
            : {}),
          ...(destination.azureActiveDirectoryApplicationIdOrUri !== undefined
            ? { azureActiveDirectoryApplicationIdOrUri: destination.azureActiveDirectoryApplicationIdOrUri }
            : {}),
          ...(destination.deliveryAttributeMappings !== undefined
            ? { deliveryAttributeMappings: destination.deliveryAttributeMappings.map(shownMapping) }
            : {}),
        },
      }
    : { endpointType: destination.endpointType, properties: destination.properties };
  return {
    properties: {
      topic: subscription.scope,
      provisioningState: subscription.provisioningState,
      destination: shownDestination,
      filter: subscription.filter,
      labels: subscription.labels,
      eventDeliverySchema: 'EventGridSchema',
      retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 },
    },
    id: subscription.id,
    name: subscription.name,
    type: 'Microsoft.EventGrid/eventSubscriptions',
  };
}
