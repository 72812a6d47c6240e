import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createPipelineFromOptions,
  type Pipeline,
} from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { azureRetryClientOptions, defaultRetrySettings, type RetrySettings } from '../core/azureRetryPolicy';
import type { KeyType } from '../../rotation/KeyType';
import type { OperationOptions, WorkflowGateway } from '../../rotation/ports';
import type { RotationTarget } from '../../rotation/RotationTarget';
import { callbackUrlValue, postJsonAction } from '../core/postJsonAction';
import { requireWorkflowResourceId } from '../../rotation/WorkflowResourceId';

const apiVersion = '2016-11-01';
/** The Flow service's token audience (seed 000, reference README). */
export const flowServiceScope = 'https://service.flow.microsoft.com//.default';

/**
 * Power Automate flows through the Flow service API (`FLOW_API_ENDPOINT`). There is no SDK for it,
 * so this is a core-rest-pipeline pipeline with the app's credential and retry policy. A flow has a
 * single access key: `keyType` is ignored here and the protocol treats every rotation as a hard cut.
 * Quirk (seed 000): a regenerate call that reports failure may still have changed the key, so the
 * protocol judges by the sig, never by this answer.
 */
export class PowerAutomateFlowGateway implements WorkflowGateway {
  private readonly pipeline: Pipeline;
  private readonly httpClient = createDefaultHttpClient();

  constructor(
    credential: TokenCredential,
    private readonly flowApiEndpoint: string,
    retry: RetrySettings = defaultRetrySettings,
  ) {
    const { retryOptions, additionalPolicies } = azureRetryClientOptions(retry);
    this.pipeline = createPipelineFromOptions({ retryOptions });
    // Per call, like the SDK clients' additionalPolicies: each retry goes through auth again.
    for (const { policy } of additionalPolicies) {
      this.pipeline.addPolicy(policy);
    }
    this.pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential, scopes: flowServiceScope }), { phase: 'Sign' });
  }

  async regenerateAccessKey(target: RotationTarget, _keyType: KeyType, options: OperationOptions = {}): Promise<void> {
    await postJsonAction((request) => this.send(request), this.url(target, '/regenerateAccessKey'), undefined, options.abortSignal);
  }

  async listCallbackUrl(target: RotationTarget, _keyType: KeyType, options: OperationOptions = {}): Promise<string> {
    const answer = await postJsonAction(
      (request) => this.send(request),
      this.url(target, `/triggers/${encodeURIComponent(target.trigger)}/listCallbackUrl`),
      undefined,
      options.abortSignal,
    );
    return callbackUrlValue(answer);
  }

  private url(target: RotationTarget, action: string): string {
    const id = requireWorkflowResourceId(target.workflowId, 'powerAutomate');
    return `${this.flowApiEndpoint}/providers/Microsoft.ProcessSimple/environments/${encodeURIComponent(id.environmentName)}/flows/${encodeURIComponent(id.flowName)}${action}?api-version=${apiVersion}`;
  }

  private send(request: Parameters<Pipeline['sendRequest']>[1]) {
    return this.pipeline.sendRequest(this.httpClient, request);
  }
}
