import { LogicManagementClient } from '@azure/arm-logic';
import { createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { azureRetryClientOptions, defaultRetrySettings, type RetrySettings } from '../azureRetryPolicy';
import type { KeyType } from '../rotation/KeyType';
import type { OperationOptions, WorkflowGateway } from '../rotation/ports';
import type { RotationTarget } from '../rotation/RotationTarget';

const apiVersion = '2019-05-01';

/** The parts of a Consumption workflow's resource ID. */
export interface ConsumptionWorkflowId {
  readonly subscriptionId: string;
  readonly resourceGroupName: string;
  readonly workflowName: string;
}

export function parseConsumptionWorkflowId(workflowId: string): ConsumptionWorkflowId {
  const match = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Logic\/workflows\/([^/]+)$/i.exec(workflowId);
  if (!match) {
    throw new Error(`Not a Consumption Logic Apps workflow ID: ${workflowId}`);
  }
  return { subscriptionId: match[1] as string, resourceGroupName: match[2] as string, workflowName: match[3] as string };
}

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
  ) {}

  async regenerateAccessKey(target: RotationTarget, keyType: KeyType, options: OperationOptions = {}): Promise<void> {
    const id = parseConsumptionWorkflowId(target.workflowId);
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
    const id = parseConsumptionWorkflowId(target.workflowId);
    const client = this.client(id.subscriptionId);
    const path = `/subscriptions/${encodeURIComponent(id.subscriptionId)}/resourceGroups/${encodeURIComponent(id.resourceGroupName)}/providers/Microsoft.Logic/workflows/${encodeURIComponent(id.workflowName)}/triggers/${encodeURIComponent(target.trigger)}/listCallbackUrl`;
    const request = createPipelineRequest({
      url: `${this.resourceManagerEndpoint}${path}?api-version=${apiVersion}`,
      method: 'POST',
      body: JSON.stringify({ keyType }),
      abortSignal: options.abortSignal,
    });
    request.headers.set('Content-Type', 'application/json; charset=utf-8');
    request.headers.set('Accept', 'application/json');
    const response = await client.sendRequest(request);
    const body = parseJson(response.bodyAsText);
    if (response.status !== 200) {
      const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      throw new RestError(typeof error?.message === 'string' ? error.message : `listCallbackUrl answered ${response.status}`, {
        statusCode: response.status,
        code: typeof error?.code === 'string' ? error.code : undefined,
      });
    }
    const value = (body as { value?: unknown } | undefined)?.value;
    if (typeof value !== 'string') {
      throw new RestError('listCallbackUrl answered without a callback URL', { statusCode: response.status, code: 'InvalidResponse' });
    }
    return value;
  }

  private client(subscriptionId: string): LogicManagementClient {
    let client = this.clients.get(subscriptionId);
    if (!client) {
      client = new LogicManagementClient(this.credential, subscriptionId, {
        endpoint: this.resourceManagerEndpoint,
        ...azureRetryClientOptions(this.retry),
      });
      this.clients.set(subscriptionId, client);
    }
    return client;
  }
}

function parseJson(text: string | undefined | null): unknown {
  if (!text) {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
