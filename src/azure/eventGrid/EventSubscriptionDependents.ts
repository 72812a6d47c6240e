import { longRunningFailure } from '../core/longRunningFailure';
import { EventGridManagementClient, type EventSubscription, type WebHookEventSubscriptionDestination } from '@azure/arm-eventgrid';
import { armClientsPerSubscription, type ArmConnection } from '../core/armClients';
import type { CallbackUrl } from '../../rotation/CallbackUrl';
import { holdingFormOf, type Dependent, type DependentHolding } from '../../rotation/Dependent';
import { TargetRotationError } from '../../rotation/failures';
import type { DependentGateway, OperationOptions } from '../../rotation/ports';
import type { RotationTarget } from '../../rotation/RotationTarget';

const eventSubscriptionIdPattern =
  /^\/(subscriptions\/([^/]+)(?:\/[^/]+\/[^/]+)*?)\/providers\/Microsoft\.EventGrid\/eventSubscriptions\/([^/]+)$/i;

interface EventSubscriptionAddress {
  /** Without its leading `/`: the SDK puts one before it and would otherwise build `//subscriptions/…`. */
  readonly scope: string;
  readonly subscriptionId: string;
  readonly name: string;
}

/**
 * Event Grid event subscriptions in their extension form on any scope (`eventSubscription` dependents) through
 * @azure/arm-eventgrid 14.1.0 (api-version 2022-06-15). GET shows a WebHook's URL without its query
 * (`endpointBaseUrl`), so the URL is read with POST getFullUrl. An update is a long-running PATCH of the
 * destination, during which Event Grid sends the new URL its validation handshake: Consumption Logic Apps answer
 * it, Logic Apps Standard workflows do not unless they implement it, and a URL that does not work yet fails it.
 */
export class EventSubscriptionDependents implements DependentGateway {
  private readonly client: (subscriptionId: string) => EventGridManagementClient;

  constructor(
    connection: ArmConnection,
    /** Between polls of the update; undefined: the SDK's (2 s, or the service's Retry-After). */
    private readonly lroPollIntervalInMs?: number,
  ) {
    this.client = armClientsPerSubscription(EventGridManagementClient, connection);
  }

  async read(dependent: Dependent, _target: RotationTarget, options: OperationOptions = {}): Promise<DependentHolding> {
    const address = parseEventSubscriptionId(dependent);
    await this.webHook(dependent, address, options);
    const { endpointUrl } = await this.client(address.subscriptionId).eventSubscriptions.getFullUrl(address.scope, address.name, {
      abortSignal: options.abortSignal,
    });
    const holding = endpointUrl === undefined ? undefined : holdingFormOf(endpointUrl);
    if (!holding || holding.form !== 'url') {
      throw new TargetRotationError({
        step: 'dependents',
        code: 'DependentValueUnrecognized',
        message:
          `Event subscription ${dependent.resourceId} delivers to a URL without a sig (not a Logic Apps trigger URL signed with an access key). ` +
          `Fix: point its WebHook at the workflow's trigger URL, or remove it from the target's dependents.`,
      });
    }
    return { form: 'url', sigs: [holding.sig], endpoints: [holding.endpoint] };
  }

  async update(dependent: Dependent, _target: RotationTarget, url: CallbackUrl, options: OperationOptions = {}): Promise<void> {
    const address = parseEventSubscriptionId(dependent);
    const current = await this.webHook(dependent, address, options);
    // GET hides a secret static attribute's value: only getDeliveryAttributes gives the mappings whole.
    const deliveryAttributeMappings =
      current.deliveryAttributeMappings !== undefined && current.deliveryAttributeMappings.length > 0
        ? (
            await this.client(address.subscriptionId).eventSubscriptions.getDeliveryAttributes(address.scope, address.name, {
              abortSignal: options.abortSignal,
            })
          ).value
        : current.deliveryAttributeMappings;
    // PATCH replaces the whole destination: everything but the URL is carried over from the GET.
    const destination: WebHookEventSubscriptionDestination = {
      endpointType: 'WebHook',
      endpointUrl: url.value,
      ...(current.maxEventsPerBatch !== undefined ? { maxEventsPerBatch: current.maxEventsPerBatch } : {}),
      ...(current.preferredBatchSizeInKilobytes !== undefined
        ? { preferredBatchSizeInKilobytes: current.preferredBatchSizeInKilobytes }
        : {}),
      ...(current.azureActiveDirectoryTenantId !== undefined ? { azureActiveDirectoryTenantId: current.azureActiveDirectoryTenantId } : {}),
      ...(current.azureActiveDirectoryApplicationIdOrUri !== undefined
        ? { azureActiveDirectoryApplicationIdOrUri: current.azureActiveDirectoryApplicationIdOrUri }
        : {}),
      ...(deliveryAttributeMappings !== undefined ? { deliveryAttributeMappings } : {}),
    };
    let updated: EventSubscription;
    try {
      updated = await this.client(address.subscriptionId).eventSubscriptions.beginUpdateAndWait(
        address.scope,
        address.name,
        { destination },
        {
          abortSignal: options.abortSignal,
          ...(this.lroPollIntervalInMs !== undefined ? { updateIntervalInMs: this.lroPollIntervalInMs } : {}),
        },
      );
    } catch (error) {
      throw asUpdateFailure(dependent, error);
    }
    if (updated.provisioningState !== undefined && updated.provisioningState !== 'Succeeded') {
      throw updateFailed(dependent, `it ended ${updated.provisioningState}`);
    }
  }

  /** The subscription's WebHook destination; any other destination is a misconfiguration. */
  private async webHook(
    dependent: Dependent,
    address: EventSubscriptionAddress,
    options: OperationOptions,
  ): Promise<WebHookEventSubscriptionDestination> {
    const subscription = await this.client(address.subscriptionId).eventSubscriptions.get(address.scope, address.name, {
      abortSignal: options.abortSignal,
    });
    const destination = subscription.destination;
    if (destination?.endpointType !== 'WebHook') {
      throw new TargetRotationError({
        step: 'dependents',
        code: 'DependentNotWebHook',
        message:
          `Event subscription ${dependent.resourceId} delivers to ${destination?.endpointType ?? 'no destination'}, not a WebHook: ` +
          `only a WebHook holds a callback URL. Fix: remove it from the target's dependents.`,
      });
    }
    return destination as WebHookEventSubscriptionDestination;
  }
}

function parseEventSubscriptionId(dependent: Dependent): EventSubscriptionAddress {
  const match = eventSubscriptionIdPattern.exec(dependent.resourceId);
  if (!match) {
    throw new TargetRotationError({
      step: 'dependents',
      code: 'DependentIdInvalid',
      message: `${dependent.resourceId} is not an event subscription ID. Fix: use <scope>/providers/Microsoft.EventGrid/eventSubscriptions/<name>.`,
    });
  }
  const [, scope = '', subscriptionId = '', name = ''] = match;
  return { scope, subscriptionId, name };
}

/**
 * An Azure error (RestError) or a cancellation passes through as thrown. A long-running update that ended Failed
 * comes back from the SDK as a plain Error, `The long-running operation has failed. <code>. <message>`: it becomes
 * `DependentUpdateFailed`, keeping Azure's code and message with any URL in it cut out.
 */
function asUpdateFailure(dependent: Dependent, error: unknown): unknown {
  const failed = longRunningFailure(error);
  return failed ? updateFailed(dependent, `the operation ended Failed (${failed.azureCode}: ${failed.reason})`) : error;
}

function updateFailed(dependent: Dependent, what: string): TargetRotationError {
  return new TargetRotationError({
    step: 'dependents',
    code: 'DependentUpdateFailed',
    message:
      `Event Grid did not apply the new URL to event subscription ${dependent.resourceId}: ${what}; it still delivers to the URL it had. ` +
      `Fix: Event Grid validates a WebHook on every update: a Consumption Logic App's trigger URL passes, a Logic Apps Standard ` +
      `workflow must answer the validation handshake itself.`,
  });
}
