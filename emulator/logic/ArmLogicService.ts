import { azureError, decodePathSegment, defaultErrorCode, isPlainObject, jsonResponse, parseJsonBody, Rejection, type EmulatorRequest, type EmulatorResponse, type EmulatorServiceHandler, type RequestClassification } from '../EmulatorExchange';
import type { FaultRule } from '../FaultInjector';
import { armPage, type PagingFaults } from './armPaging';
import { triggerResource, workflowResource } from './armRepresentations';
import type { ArmFrontDoor } from './ArmFrontDoor';
import type { ResourceGroups } from './armScopes';
import type { ConsumptionWorkflowsState, StoredWorkflow } from './ConsumptionWorkflowsState';
import type { WorkflowTrigger } from './WorkflowTrigger';
import { parseWorkflowKeyType, type WorkflowKeyType } from './WorkflowKeyType';

/** ARM pages lists at 100 items, like the real provider does for workflows. */

interface ArmRoute {
  readonly operationId: string;
  readonly subscriptionId: string;
  readonly resourceGroup?: string;
  readonly workflowName?: string;
  readonly triggerName?: string;
  readonly versionId?: string;
}

const scopePattern = /^\/subscriptions\/([^/]+)(?:\/resourceGroups\/([^/]+))?\/providers\/Microsoft\.Logic\/workflows(?:\/([^/]+)(\/.*)?)?$/i;

/** Resolves an ARM path to the 2019-05-01 operation it names (ARM matches paths without regard to case). */
function route(method: string, pathname: string): ArmRoute | undefined {
  const match = scopePattern.exec(pathname.replace(/\/+$/, ''));
  if (!match) return undefined;
  const [, rawSubscription = '', rawGroup, rawWorkflow, rest = ''] = match;
  const subscriptionId = decodePathSegment(rawSubscription);
  const resourceGroup = rawGroup !== undefined ? decodePathSegment(rawGroup) : undefined;
  if (rawWorkflow === undefined) {
    if (method !== 'GET') return undefined;
    return { operationId: resourceGroup === undefined ? 'Workflows_ListBySubscription' : 'Workflows_ListByResourceGroup', subscriptionId, ...(resourceGroup !== undefined ? { resourceGroup } : {}) };
  }
  if (resourceGroup === undefined) return undefined;
  const base = { subscriptionId, resourceGroup, workflowName: decodePathSegment(rawWorkflow) };
  const segments = rest.split('/').filter((segment) => segment !== '').map(decodePathSegment);
  const [first, second, third, fourth, fifth] = segments;
  const is = (segment: string | undefined, name: string): boolean => segment?.toLowerCase() === name.toLowerCase();
  if (method === 'GET') {
    if (segments.length === 0) return { operationId: 'Workflows_Get', ...base };
    if (segments.length === 1 && is(first, 'triggers')) return { operationId: 'WorkflowTriggers_List', ...base };
    if (segments.length === 2 && is(first, 'triggers')) return { operationId: 'WorkflowTriggers_Get', ...base, triggerName: second as string };
  }
  if (method === 'POST') {
    if (segments.length === 1 && is(first, 'regenerateAccessKey')) return { operationId: 'Workflows_RegenerateAccessKey', ...base };
    if (segments.length === 1 && is(first, 'listCallbackUrl')) return { operationId: 'Workflows_ListCallbackUrl', ...base };
    if (segments.length === 3 && is(first, 'triggers') && is(third, 'listCallbackUrl')) {
      return { operationId: 'WorkflowTriggers_ListCallbackUrl', ...base, triggerName: second as string };
    }
    if (segments.length === 5 && is(first, 'versions') && is(third, 'triggers') && is(fifth, 'listCallbackUrl')) {
      return { operationId: 'WorkflowVersionTriggers_ListCallbackUrl', ...base, versionId: second as string, triggerName: fourth as string };
    }
  }
  return undefined;
}

/** The Microsoft.Logic resource provider behind ARM (api-version 2019-05-01). */
export class ArmLogicService implements EmulatorServiceHandler {
  readonly service = 'arm' as const;

  constructor(
    private readonly state: ConsumptionWorkflowsState,
    private readonly resourceGroups: ResourceGroups,
    private readonly pagingFaults: PagingFaults,
    private readonly frontDoor: ArmFrontDoor,
    private readonly armEndpoint: () => string,
  ) {}

  classify(method: string, url: URL): RequestClassification {
    const resolved = route(method, url.pathname);
    if (resolved) return { operationId: resolved.operationId, subscriptionId: resolved.subscriptionId };
    const subscription = /^\/subscriptions\/([^/]+)/i.exec(url.pathname)?.[1];
    return subscription ? { operationId: 'Unknown', subscriptionId: decodePathSegment(subscription) } : { operationId: 'Unknown' };
  }

  handle(request: EmulatorRequest): EmulatorResponse {
    const rejection = this.frontDoor.admit(request);
    if (rejection) return rejection;
    const armRoute = route(request.method, request.url.pathname);
    if (!armRoute) {
      return azureError(404, 'InvalidResourceType', `The resource type could not be found for the request '${request.method} ${request.url.pathname}' in the namespace 'Microsoft.Logic' for api version '2019-05-01'.`);
    }
    if (armRoute.operationId === 'Workflows_ListBySubscription') return this.list(request, armRoute.subscriptionId);
    if (!armRoute.resourceGroup || !this.resourceGroups.exists(armRoute.subscriptionId, armRoute.resourceGroup)) {
      return azureError(404, 'ResourceGroupNotFound', `Resource group '${armRoute.resourceGroup ?? ''}' could not be found.`);
    }
    if (armRoute.operationId === 'Workflows_ListByResourceGroup') return this.list(request, armRoute.subscriptionId, armRoute.resourceGroup);

    const workflowId = `/subscriptions/${armRoute.subscriptionId}/resourceGroups/${armRoute.resourceGroup}/providers/Microsoft.Logic/workflows/${armRoute.workflowName ?? ''}`;
    const workflow = this.state.find(workflowId);
    if (!workflow) {
      return azureError(404, 'ResourceNotFound',
        `The Resource 'Microsoft.Logic/workflows/${armRoute.workflowName ?? ''}' under resource group '${armRoute.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
    }
    switch (armRoute.operationId) {
      case 'Workflows_Get':
        return jsonResponse(200, workflowResource(this.state, workflow));
      case 'WorkflowTriggers_List':
        return jsonResponse(200, { value: workflow.triggers.map((trigger) => triggerResource(workflow, trigger)) });
      case 'Workflows_RegenerateAccessKey':
        return this.regenerateAccessKey(request, workflow);
      case 'Workflows_ListCallbackUrl':
        return this.listWorkflowCallbackUrl(request, workflow);
      default:
        return this.triggerOperation(request, armRoute, workflow);
    }
  }

  faultResponse(_request: EmulatorRequest, fault: FaultRule): EmulatorResponse {
    const status = fault.status ?? 500;
    const code = fault.errorCode ?? (status === 429 ? 'SubscriptionRequestsThrottled' : defaultErrorCode(status));
    const message = fault.message ?? faultMessage(status);
    const retryAfter = fault.retryAfterSeconds ?? (status === 429 ? 1 : undefined);
    return azureError(status, code, message, { headers: retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : undefined });
  }

  decorate(request: EmulatorRequest, response: EmulatorResponse): void {
    this.frontDoor.decorate(request, response);
  }

  private triggerOperation(request: EmulatorRequest, armRoute: ArmRoute, workflow: StoredWorkflow): EmulatorResponse {
    const trigger = this.state.trigger(workflow, armRoute.triggerName ?? '');
    if (!trigger) {
      return azureError(404, 'WorkflowTriggerNotFound', `The workflow '${workflow.name}' trigger '${armRoute.triggerName ?? ''}' could not be found.`);
    }
    if (armRoute.operationId === 'WorkflowTriggers_Get') return jsonResponse(200, triggerResource(workflow, trigger));
    if (armRoute.versionId !== undefined && armRoute.versionId !== workflow.version) {
      return azureError(404, 'WorkflowVersionNotFound', `The workflow '${workflow.name}' version '${armRoute.versionId}' could not be found.`);
    }
    const parameters = callbackUrlParameters(request);
    if (parameters instanceof Rejection) return parameters.response;
    const notSupported = requireRequestTrigger(trigger);
    if (notSupported) return notSupported;
    const callbackUrl = this.state.callbackUrl(workflow, trigger, this.state.listedKeyType(workflow, parameters.keyType), {
      ...(armRoute.versionId !== undefined ? { versionId: armRoute.versionId } : {}),
      ...(parameters.notAfter ? { notAfter: parameters.notAfter } : {}),
    });
    return jsonResponse(200, { value: callbackUrl.value, method: 'POST', basePath: callbackUrl.basePath, queries: callbackUrl.queries });
  }

  /** The workflow-level action reports the URL of its Request trigger, with the workflow's access endpoint as basePath. */
  private listWorkflowCallbackUrl(request: EmulatorRequest, workflow: StoredWorkflow): EmulatorResponse {
    const parameters = callbackUrlParameters(request);
    if (parameters instanceof Rejection) return parameters.response;
    const trigger = workflow.triggers.find((candidate) => candidate.kind === 'Request');
    if (!trigger) {
      return azureError(400, 'ApiNotSupported', "The 'ListCallbackUrl' API is not supported by workflows that have no trigger of type 'Request'.");
    }
    const callbackUrl = this.state.callbackUrl(workflow, trigger, parameters.keyType, parameters.notAfter ? { notAfter: parameters.notAfter } : {});
    return jsonResponse(200, { value: callbackUrl.value, method: 'POST', basePath: this.state.accessEndpoint(workflow), queries: callbackUrl.queries });
  }

  private regenerateAccessKey(request: EmulatorRequest, workflow: StoredWorkflow): EmulatorResponse {
    const keyType = requestedKeyType(request);
    if (keyType instanceof Rejection) return keyType.response;
    this.state.regenerateAccessKey(workflow.id, keyType);
    return { status: 200 };
  }


  private list(request: EmulatorRequest, subscriptionId: string, resourceGroup?: string): EmulatorResponse {
    return armPage(request, this.state.list(subscriptionId, resourceGroup), (workflow) => workflowResource(this.state, workflow), {
      armEndpoint: this.armEndpoint(),
      apiVersion: '2019-05-01',
      nullNextLinkOnLastPage: false,
      fault: this.pagingFaults.find(resourceGroup === undefined ? 'Workflows_ListBySubscription' : 'Workflows_ListByResourceGroup'),
    });
  }

}

/** The `{"keyType": "Primary"|"Secondary"}` body of regenerateAccessKey (Consumption and Standard alike). */
export function requestedKeyType(request: EmulatorRequest): WorkflowKeyType | Rejection {
  let body: unknown;
  try {
    body = parseJsonBody(request);
  } catch (error) {
    return new Rejection(invalidRequestContent(error));
  }
  const requested = isPlainObject(body) ? body['keyType'] : undefined;
  if (requested === undefined) {
    return new Rejection(azureError(400, 'InvalidRequestContent', "The request content must contain the property 'keyType' with the value 'Primary' or 'Secondary'."));
  }
  const keyType = parseWorkflowKeyType(requested);
  if (!keyType) {
    return new Rejection(azureError(400, 'InvalidKeyType', `The key type '${String(requested)}' is not supported. The supported key types are 'Primary' and 'Secondary'.`));
  }
  return keyType;
}

/**
 * `{keyType?, notAfter?}`, optional for every listCallbackUrl variant: Microsoft Learn documents the trigger
 * action with `{"keyType": ...}`, the SDK sends it without a body. No key type (or NotSpecified) means Primary.
 */
export function callbackUrlParameters(request: EmulatorRequest): { keyType: WorkflowKeyType; notAfter?: Date } | Rejection {
  let body: unknown;
  try {
    body = parseJsonBody(request);
  } catch (error) {
    return new Rejection(invalidRequestContent(error));
  }
  if (body === undefined || body === null) return { keyType: 'Primary' };
  if (!isPlainObject(body)) return new Rejection(azureError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized: expected a JSON object.'));
  const requested = body['keyType'];
  let keyType: WorkflowKeyType = 'Primary';
  if (requested !== undefined && requested !== null && String(requested).toLowerCase() !== 'notspecified') {
    const parsed = parseWorkflowKeyType(requested);
    if (!parsed) {
      return new Rejection(azureError(400, 'InvalidKeyType', `The key type '${String(requested)}' is not supported. The supported key types are 'Primary' and 'Secondary'.`));
    }
    keyType = parsed;
  }
  const notAfterValue = body['notAfter'];
  if (notAfterValue === undefined || notAfterValue === null) return { keyType };
  const notAfter = new Date(String(notAfterValue));
  if (Number.isNaN(notAfter.getTime())) {
    return new Rejection(azureError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: 'notAfter' value '${String(notAfterValue)}' is not a valid date-time.`));
  }
  return { keyType, notAfter };
}

export function requireRequestTrigger(trigger: WorkflowTrigger): EmulatorResponse | undefined {
  if (trigger.kind === 'Request') return undefined;
  return azureError(400, 'ApiNotSupported', `The 'ListCallbackUrl' API is not supported by triggers of type '${trigger.kind}'.`);
}

export function invalidRequestContent(error: unknown): EmulatorResponse {
  const detail = error instanceof Error ? error.message : String(error);
  return azureError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: '${detail}'.`);
}

export function faultMessage(status: number): string {
  if (status === 429) return 'Number of requests exceeded the limit. Please try again later. Please see https://aka.ms/ARMThrottling for default limits.';
  if (status === 503) return 'The service is temporarily unavailable. Please try again later.';
  if (status >= 500) return 'The server encountered an internal error. Please retry the request.';
  return 'The request failed.';
}
