import { LogicManagementClient } from '@azure/arm-logic';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { azureRetryClientOptions, defaultRetrySettings, type RetrySettings } from '../core/azureRetryPolicy';
import type { KeyType } from '../../rotation/KeyType';
import type { OperationOptions, WorkflowGateway } from '../../rotation/ports';
import type { RotationTarget } from '../../rotation/RotationTarget';
import { callbackUrlValue, postJsonAction } from '../core/postJsonAction';
import { requireWorkflowResourceId } from '../../rotation/WorkflowResourceId';

const apiVersion = '2019-05-01';

/**
 * Consumption Logic Apps (`Microsoft.Logic/workflows`) through @azure/arm-logic, which brings
 * ARM's bearer auth, retry and throttling policies.
 */
export class ConsumptionWorkflowGateway implements WorkflowGateway {
  private readonly clients = new Map<string, LogicManagementClient>();

  constructor(
    private readonly credential: TokenCredential,
    private readonly resourceManagerEndpoint: string,
    private readonly retry: RetrySettings = defaultRetrySettings,
    /** Extra per-attempt policies, e.g. the write-budget observer. */
    private readonly perRetryPolicies: readonly PipelinePolicy[] = [],
  ) {}

  async regenerateAccessKey(target: RotationTarget, keyType: KeyType, options: OperationOptions = {}): Promise<void> {
    const id = requireWorkflowResourceId(target.workflowId, 'consumption');
    await this.client(id.subscriptionId).workflows.regenerateAccessKey(
      id.resourceGroupName,
      id.workflowName,
      { keyType },
      { abortSignal: options.abortSignal },
    );
  }

  /**
   * Quirk: the documented way to get a trigger URL signed with a chosen key is
   * `POST …/triggers/{t}/listCallbackUrl` with body `{"keyType": …}` (Learn: "Create URLs with
   * primary or secondary secret key"), but the 2019-05-01 spec, and so
   * `workflowTriggers.listCallbackUrl`, sends no body and always gets the Primary URL. The other
   * listCallbackUrl variants take a key but return a workflow-level or version-pinned URL, which is
   * not what consumers should hold. So this call goes through the SDK client's own pipeline (auth,
   * retries) with the body added; the protocol then checks `sp` and `sig` of whatever comes back.
   */
  async listCallbackUrl(target: RotationTarget, keyType: KeyType, options: OperationOptions = {}): Promise<string> {
    const id = requireWorkflowResourceId(target.workflowId, 'consumption');
    const client = this.client(id.subscriptionId);
    const path = `/subscriptions/${encodeURIComponent(id.subscriptionId)}/resourceGroups/${encodeURIComponent(id.resourceGroupName)}/providers/Microsoft.Logic/workflows/${encodeURIComponent(id.workflowName)}/triggers/${encodeURIComponent(target.trigger)}/listCallbackUrl`;
    const answer = await postJsonAction(
      (request) => client.sendRequest(request),
      `${this.resourceManagerEndpoint}${path}?api-version=${apiVersion}`,
      { keyType },
      options.abortSignal,
    );
    return callbackUrlValue(answer);
  }

  private client(subscriptionId: string): LogicManagementClient {
    let client = this.clients.get(subscriptionId);
    if (!client) {
      client = new LogicManagementClient(this.credential, subscriptionId, {
        endpoint: this.resourceManagerEndpoint,
        ...azureRetryClientOptions(this.retry, this.perRetryPolicies),
      });
      this.clients.set(subscriptionId, client);
    }
    return client;
  }
}
