import { WebSiteManagementClient } from '@azure/arm-appservice';
import { createDefaultHttpClient, type PipelinePolicy } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { azureRetryClientOptions, defaultRetrySettings, type RetrySettings } from '../core/azureRetryPolicy';
import type { KeyType } from '../../rotation/KeyType';
import type { OperationOptions, WorkflowGateway } from '../../rotation/ports';
import type { RotationTarget } from '../../rotation/RotationTarget';
import { callbackUrlValue, postJsonAction } from '../core/postJsonAction';
import { requireWorkflowResourceId } from '../../rotation/WorkflowResourceId';

/** docs/design.md §4.3: the workflow management API under the site, as documented for 2024-04-01. */
const apiVersion = '2024-04-01';

/**
 * Logic Apps Standard (`Microsoft.Web/sites/{app}/workflows/{wf}`) through @azure/arm-appservice:
 * the same two-key model as Consumption, reached through the site's host runtime.
 */
export class StandardWorkflowGateway implements WorkflowGateway {
  private readonly clients = new Map<string, WebSiteManagementClient>();
  private readonly httpClient = createDefaultHttpClient();

  constructor(
    private readonly credential: TokenCredential,
    private readonly resourceManagerEndpoint: string,
    private readonly retry: RetrySettings = defaultRetrySettings,
    /** Extra per-attempt policies, e.g. the write-budget observer. */
    private readonly perRetryPolicies: readonly PipelinePolicy[] = [],
  ) {}

  async regenerateAccessKey(target: RotationTarget, keyType: KeyType, options: OperationOptions = {}): Promise<void> {
    const id = requireWorkflowResourceId(target.workflowId, 'standard');
    await this.client(id.subscriptionId).workflows.regenerateAccessKey(
      id.resourceGroupName,
      id.siteName,
      id.workflowName,
      { keyType },
      {
        abortSignal: options.abortSignal,
      },
    );
  }

  /**
   * Quirk, as for Consumption: `workflowTriggers.listCallbackUrl` sends no body, so it cannot ask for
   * the Secondary key's URL. The documented `{keyType}` body goes through the client's own pipeline.
   */
  async listCallbackUrl(target: RotationTarget, keyType: KeyType, options: OperationOptions = {}): Promise<string> {
    const id = requireWorkflowResourceId(target.workflowId, 'standard');
    const client = this.client(id.subscriptionId);
    const path = `/subscriptions/${encodeURIComponent(id.subscriptionId)}/resourceGroups/${encodeURIComponent(id.resourceGroupName)}/providers/Microsoft.Web/sites/${encodeURIComponent(id.siteName)}/hostruntime/runtime/webhooks/workflow/api/management/workflows/${encodeURIComponent(id.workflowName)}/triggers/${encodeURIComponent(target.trigger)}/listCallbackUrl`;
    const answer = await postJsonAction(
      (request) => client.pipeline.sendRequest(this.httpClient, request),
      `${this.resourceManagerEndpoint}${path}?api-version=${apiVersion}`,
      { keyType },
      options.abortSignal,
    );
    return callbackUrlValue(answer);
  }

  private client(subscriptionId: string): WebSiteManagementClient {
    let client = this.clients.get(subscriptionId);
    if (!client) {
      client = new WebSiteManagementClient(this.credential, subscriptionId, {
        endpoint: this.resourceManagerEndpoint,
        apiVersion,
        // The client asks for the public cloud's audience whatever the endpoint; sovereign clouds
        // (and the emulator) need the endpoint's own.
        credentials: { scopes: [`${this.resourceManagerEndpoint}/.default`] },
        ...azureRetryClientOptions(this.retry, this.perRetryPolicies),
      });
      this.clients.set(subscriptionId, client);
    }
    return client;
  }
}
