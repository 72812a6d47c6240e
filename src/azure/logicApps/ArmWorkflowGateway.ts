import type { PipelineRequest, PipelineResponse } from '@azure/core-rest-pipeline';
import type { KeyType } from '../../rotation/KeyType';
import type { OperationOptions } from '../../rotation/ports';
import type { RotationTarget } from '../../rotation/RotationTarget';
import { requireWorkflowResourceId, type WorkflowResourceId } from '../../rotation/WorkflowResourceId';
import { clientsPerSubscription, type ArmConnection } from '../core/armClients';
import { callbackUrlValue, postJsonAction } from '../core/postJsonAction';

/**
 * What the two Logic Apps gateways (Consumption and Standard) share: how they are set up, one ARM SDK
 * client per subscription, made on first use against the configured endpoint with sas-rotator's retry
 * policy, and the trigger listCallbackUrl with the `{keyType}` body that the SDK methods do not send.
 */
export abstract class ArmWorkflowGateway<Client, Host extends 'consumption' | 'standard'> {
  private readonly clients = clientsPerSubscription((subscriptionId) => this.createClient(subscriptionId));

  constructor(protected readonly connection: ArmConnection) {}

  /** The host whose workflow IDs this gateway takes. */
  protected abstract readonly host: Host;

  /** A new SDK client for the subscription, made with (at least) `armClientOptions(this.connection)`. */
  protected abstract createClient(subscriptionId: string): Client;

  /** The target's workflow ID, read as one of this gateway's host, and the client of its subscription. */
  protected resolve(target: RotationTarget): { readonly id: Extract<WorkflowResourceId, { host: Host }>; readonly client: Client } {
    const id = requireWorkflowResourceId(target.workflowId, this.host);
    // Both hosts' IDs name a subscription; TypeScript cannot tell while Host is open.
    const { subscriptionId } = id as Extract<WorkflowResourceId, { host: 'consumption' | 'standard' }>;
    return { id, client: this.clients(subscriptionId) };
  }

  /**
   * POSTs `{keyType}` to the trigger's listCallbackUrl at `path` (below the endpoint) through `send`, the
   * SDK client's own pipeline (auth, retries), and reads the callback URL from the answer.
   */
  protected async listCallbackUrlAt(
    send: (request: PipelineRequest) => Promise<PipelineResponse>,
    path: string,
    apiVersion: string,
    keyType: KeyType,
    options: OperationOptions,
  ): Promise<string> {
    const answer = await postJsonAction(
      send,
      `${this.connection.resourceManagerEndpoint}${path}?api-version=${apiVersion}`,
      { keyType },
      options.abortSignal,
    );
    return callbackUrlValue(answer);
  }
}
