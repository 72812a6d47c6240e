import { WebSiteManagementClient } from '@azure/arm-appservice';
import { createDefaultHttpClient } from '@azure/core-rest-pipeline';
import type { KeyType } from '../../rotation/KeyType';
import type { OperationOptions, WorkflowGateway } from '../../rotation/ports';
import type { RotationTarget } from '../../rotation/RotationTarget';
import { armClientOptions } from '../core/armClients';
import { ArmWorkflowGateway } from './ArmWorkflowGateway';

/** docs/design.md §4.3: the workflow management API under the site, as documented for 2024-04-01. */
const apiVersion = '2024-04-01';

/**
 * Logic Apps Standard (`Microsoft.Web/sites/{app}/workflows/{wf}`) through @azure/arm-appservice:
 * the same two-key model as Consumption, reached through the site's host runtime.
 */
export class StandardWorkflowGateway extends ArmWorkflowGateway<WebSiteManagementClient, 'standard'> implements WorkflowGateway {
  protected readonly host = 'standard';
  private readonly httpClient = createDefaultHttpClient();

  async regenerateAccessKey(target: RotationTarget, keyType: KeyType, options: OperationOptions = {}): Promise<void> {
    const { id, client } = this.resolve(target);
    await client.workflows.regenerateAccessKey(
      id.resourceGroupName,
      id.siteName,
      id.workflowName,
      { keyType },
      { abortSignal: options.abortSignal },
    );
  }

  /**
   * Quirk, as for Consumption: `workflowTriggers.listCallbackUrl` sends no body, so it cannot ask for
   * the Secondary key's URL. The documented `{keyType}` body goes through the client's own pipeline.
   */
  async listCallbackUrl(target: RotationTarget, keyType: KeyType, options: OperationOptions = {}): Promise<string> {
    const { id, client } = this.resolve(target);
    const path = `/subscriptions/${encodeURIComponent(id.subscriptionId)}/resourceGroups/${encodeURIComponent(id.resourceGroupName)}/providers/Microsoft.Web/sites/${encodeURIComponent(id.siteName)}/hostruntime/runtime/webhooks/workflow/api/management/workflows/${encodeURIComponent(id.workflowName)}/triggers/${encodeURIComponent(target.trigger)}/listCallbackUrl`;
    return this.listCallbackUrlAt((request) => client.pipeline.sendRequest(this.httpClient, request), path, apiVersion, keyType, options);
  }

  protected createClient(subscriptionId: string): WebSiteManagementClient {
    return new WebSiteManagementClient(this.connection.credential, subscriptionId, {
      ...armClientOptions(this.connection),
      apiVersion,
      // The client asks for the public cloud's audience whatever the endpoint; sovereign clouds
      // (and the emulator) need the endpoint's own.
      credentials: { scopes: [`${this.connection.resourceManagerEndpoint}/.default`] },
    });
  }
}
