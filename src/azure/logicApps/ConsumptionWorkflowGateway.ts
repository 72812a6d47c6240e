import { LogicManagementClient } from '@azure/arm-logic';
import type { KeyType } from '../../rotation/KeyType';
import type { OperationOptions, WorkflowGateway } from '../../rotation/ports';
import type { RotationTarget } from '../../rotation/RotationTarget';
import { armClientOptions } from '../core/armClients';
import { ArmWorkflowGateway } from './ArmWorkflowGateway';

const apiVersion = '2019-05-01';

/**
 * Consumption Logic Apps (`Microsoft.Logic/workflows`) through @azure/arm-logic, which brings
 * ARM's bearer auth, retry and throttling policies.
 */
export class ConsumptionWorkflowGateway extends ArmWorkflowGateway<LogicManagementClient, 'consumption'> implements WorkflowGateway {
  protected readonly host = 'consumption';

  async regenerateAccessKey(target: RotationTarget, keyType: KeyType, options: OperationOptions = {}): Promise<void> {
    const { id, client } = this.resolve(target);
    await client.workflows.regenerateAccessKey(id.resourceGroupName, id.workflowName, { keyType }, { abortSignal: options.abortSignal });
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
    const { id, client } = this.resolve(target);
    const path = `/subscriptions/${encodeURIComponent(id.subscriptionId)}/resourceGroups/${encodeURIComponent(id.resourceGroupName)}/providers/Microsoft.Logic/workflows/${encodeURIComponent(id.workflowName)}/triggers/${encodeURIComponent(target.trigger)}/listCallbackUrl`;
    return this.listCallbackUrlAt((request) => client.sendRequest(request), path, apiVersion, keyType, options);
  }

  protected createClient(subscriptionId: string): LogicManagementClient {
    return new LogicManagementClient(this.connection.credential, subscriptionId, armClientOptions(this.connection));
  }
}
