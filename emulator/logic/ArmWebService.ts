import { azureError, decodePathSegment, defaultErrorCode, jsonResponse, Rejection, type EmulatorRequest, type EmulatorResponse, type EmulatorServiceHandler, type RequestClassification } from '../EmulatorExchange';
import type { FaultRule } from '../FaultInjector';
import type { ArmApiVersionPolicy, ArmFrontDoor } from './ArmFrontDoor';
import { callbackUrlParameters, faultMessage, requestedKeyType, requireRequestTrigger } from './ArmLogicService';
import { armPage, type PagingFaults } from './armPaging';
import { armTime } from './armRepresentations';
import type { ResourceGroups } from './armScopes';
import type { StandardWorkflowsState, StoredSite, StoredStandardWorkflow } from './StandardWorkflowsState';

/**
 * Microsoft.Web api-versions that have the workflow paths (sites/{name}/workflows and hostruntime/…/management):
 * ARM accepts any registered version, and a Logic api-version (2019-05-01) sent here is the mistake to catch.
 */
export const supportedWebApiVersions: readonly string[] = ['2022-03-01', '2022-09-01', '2023-01-01', '2023-12-01', '2024-04-01', '2024-11-01'];


interface WebRoute {
  readonly operationId: string;
  readonly subscriptionId: string;
  readonly resourceGroup?: string;
  readonly site?: string;
  readonly workflowName?: string;
  readonly triggerName?: string;
}

const sitesPattern = /^\/subscriptions\/([^/]+)(?:\/resourceGroups\/([^/]+))?\/providers\/Microsoft\.Web\/sites(?:\/([^/]+)(\/.*)?)?$/i;
const managementPrefix = ['hostruntime', 'runtime', 'webhooks', 'workflow', 'api', 'management', 'workflows'];

/** Whether a path belongs to the Microsoft.Web provider (and so to this service, not Microsoft.Logic). */
export function isWebProviderPath(pathname: string): boolean {
  return /\/providers\/Microsoft\.Web(\/|$)/i.test(pathname);
}

/** Resolves an ARM path to the Microsoft.Web operation the emulator knows. */
function route(method: string, pathname: string): WebRoute | undefined {
  const match = sitesPattern.exec(pathname.replace(/\/+$/, ''));
  if (!match) return undefined;
  const [, rawSubscription = '', rawGroup, rawSite, rest = ''] = match;
  const subscriptionId = decodePathSegment(rawSubscription);
  const resourceGroup = rawGroup !== undefined ? decodePathSegment(rawGroup) : undefined;
  if (rawSite === undefined) {
    if (method !== 'GET') return undefined;
    return { operationId: resourceGroup === undefined ? 'WebApps_List' : 'WebApps_ListByResourceGroup', subscriptionId, ...(resourceGroup !== undefined ? { resourceGroup } : {}) };
  }
  if (resourceGroup === undefined) return undefined;
  const base = { subscriptionId, resourceGroup, site: decodePathSegment(rawSite) };
  const segments = rest.split('/').filter((segment) => segment !== '').map(decodePathSegment);
  const is = (segment: string | undefined, name: string): boolean => segment?.toLowerCase() === name.toLowerCase();
  if (method === 'GET' && segments.length === 0) return { operationId: 'WebApps_Get', ...base };
  if (method === 'GET' && segments.length === 1 && is(segments[0], 'workflows')) return { operationId: 'WebApps_ListWorkflows', ...base };
  if (method === 'GET' && segments.length === 2 && is(segments[0], 'workflows')) return { operationId: 'WebApps_GetWorkflow', ...base, workflowName: segments[1] as string };
  if (segments.length <= managementPrefix.length || !managementPrefix.every((name, index) => is(segments[index], name))) return undefined;
  const [workflowName, first, second, third] = segments.slice(managementPrefix.length) as [string, ...Array<string | undefined>];
  const tail = segments.length - managementPrefix.length - 1;
  const workflow = { ...base, workflowName };
  if (method === 'POST' && tail === 1 && is(first, 'regenerateAccessKey')) return { operationId: 'StandardWorkflows_RegenerateAccessKey', ...workflow };
  if (method === 'GET' && tail === 1 && is(first, 'triggers')) return { operationId: 'StandardWorkflowTriggers_List', ...workflow };
  if (method === 'GET' && tail === 2 && is(first, 'triggers')) return { operationId: 'StandardWorkflowTriggers_Get', ...workflow, triggerName: second as string };
  if (method === 'POST' && tail === 3 && is(first, 'triggers') && is(third, 'listCallbackUrl')) {
    return { operationId: 'StandardWorkflowTriggers_ListCallbackUrl', ...workflow, triggerName: second as string };
  }
  return undefined;
}

/**
 * The Microsoft.Web resource provider behind ARM, as far as Logic Apps Standard needs it (2024-04-01 shapes):
 * sites (for discovery by tag), a site's workflows, and the workflow management API under
 * `sites/{app}/hostruntime/runtime/webhooks/workflow/api/management/workflows/{wf}`.
 */
export class ArmWebService implements EmulatorServiceHandler {
  readonly service = 'arm' as const;
  private readonly apiVersions: ArmApiVersionPolicy = {
    supported: supportedWebApiVersions,
    unsupported: (apiVersion) => azureError(400, 'NoRegisteredProviderFound',
      `No registered resource provider found for location 'westeurope' and API version '${apiVersion}' for type 'sites'. ` +
        `The supported api-versions are '${supportedWebApiVersions.join(', ')}'.`),
  };

  constructor(
    private readonly state: StandardWorkflowsState,
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
    const rejection = this.frontDoor.admit(request, this.apiVersions);
    if (rejection) return rejection;
    const webRoute = route(request.method, request.url.pathname);
    if (!webRoute) {
      return azureError(404, 'InvalidResourceType',
        `The resource type could not be found for the request '${request.method} ${request.url.pathname}' in the namespace 'Microsoft.Web' for api version '${request.url.searchParams.get('api-version') ?? ''}'.`);
    }
    if (webRoute.operationId === 'WebApps_List') return this.listSites(request, webRoute.subscriptionId);
    if (!webRoute.resourceGroup || !this.resourceGroups.exists(webRoute.subscriptionId, webRoute.resourceGroup)) {
      return azureError(404, 'ResourceGroupNotFound', `Resource group '${webRoute.resourceGroup ?? ''}' could not be found.`);
    }
    if (webRoute.operationId === 'WebApps_ListByResourceGroup') return this.listSites(request, webRoute.subscriptionId, webRoute.resourceGroup);

    const site = this.state.findSite(webRoute.site ?? '');
    if (!site || site.subscriptionId.toLowerCase() !== webRoute.subscriptionId.toLowerCase() || site.resourceGroup.toLowerCase() !== webRoute.resourceGroup.toLowerCase()) {
      return azureError(404, 'ResourceNotFound',
        `The Resource 'Microsoft.Web/sites/${webRoute.site ?? ''}' under resource group '${webRoute.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
    }
    if (webRoute.operationId === 'WebApps_Get') return jsonResponse(200, siteResource(site));
    if (webRoute.operationId === 'WebApps_ListWorkflows') {
      return jsonResponse(200, { value: this.state.workflowsOf(site).map((workflow) => workflowEnvelope(site, workflow)), nextLink: null });
    }

    const workflow = this.state.find(`${site.id}/workflows/${webRoute.workflowName ?? ''}`);
    if (!workflow) return azureError(404, 'WorkflowNotFound', `The workflow '${webRoute.workflowName ?? ''}' could not be found.`);
    switch (webRoute.operationId) {
      case 'WebApps_GetWorkflow':
        return jsonResponse(200, workflowEnvelope(site, workflow));
      case 'StandardWorkflows_RegenerateAccessKey':
        return this.regenerateAccessKey(request, workflow);
      case 'StandardWorkflowTriggers_List':
        return jsonResponse(200, { value: workflow.triggers.map((trigger) => triggerResource(workflow, trigger.name)), nextLink: null });
      default:
        return this.triggerOperation(request, webRoute, workflow);
    }
  }

  /** The same ARM front end: the same error shape as Microsoft.Logic's. */
  faultResponse(_request: EmulatorRequest, fault: FaultRule): EmulatorResponse {
    const status = fault.status ?? 500;
    const code = fault.errorCode ?? (status === 429 ? 'SubscriptionRequestsThrottled' : defaultErrorCode(status));
    const retryAfter = fault.retryAfterSeconds ?? (status === 429 ? 1 : undefined);
    return azureError(status, code, fault.message ?? faultMessage(status), { headers: retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : undefined });
  }

  decorate(request: EmulatorRequest, response: EmulatorResponse): void {
    this.frontDoor.decorate(request, response);
  }

  private triggerOperation(request: EmulatorRequest, webRoute: WebRoute, workflow: StoredStandardWorkflow): EmulatorResponse {
    const trigger = this.state.trigger(workflow, webRoute.triggerName ?? '');
    if (!trigger) {
      return azureError(404, 'WorkflowTriggerNotFound', `The workflow '${workflow.name}' trigger '${webRoute.triggerName ?? ''}' could not be found.`);
    }
    if (webRoute.operationId === 'StandardWorkflowTriggers_Get') return jsonResponse(200, triggerResource(workflow, trigger.name));
    const parameters = callbackUrlParameters(request);
    if (parameters instanceof Rejection) return parameters.response;
    const notSupported = requireRequestTrigger(trigger);
    if (notSupported) return notSupported;
    const callbackUrl = this.state.callbackUrl(workflow, trigger, this.state.listedKeyType(workflow, parameters.keyType), parameters.notAfter ? { notAfter: parameters.notAfter } : {});
    return jsonResponse(200, { value: callbackUrl.value, method: 'POST', basePath: callbackUrl.basePath, queries: callbackUrl.queries });
  }

  private regenerateAccessKey(request: EmulatorRequest, workflow: StoredStandardWorkflow): EmulatorResponse {
    const keyType = requestedKeyType(request);
    if (keyType instanceof Rejection) return keyType.response;
    this.state.regenerateAccessKey(workflow.id, keyType);
    return { status: 200 };
  }


  private listSites(request: EmulatorRequest, subscriptionId: string, resourceGroup?: string): EmulatorResponse {
    return armPage(request, this.state.listSites(subscriptionId, resourceGroup), siteResource, {
      armEndpoint: this.armEndpoint(),
      apiVersion: request.url.searchParams.get('api-version') ?? '2024-04-01',
      nullNextLinkOnLastPage: true,
      fault: this.pagingFaults.find(resourceGroup === undefined ? 'WebApps_List' : 'WebApps_ListByResourceGroup'),
    });
  }

}


/** A Site as WebApps_Get and the site lists report it (the properties discovery and operators look at). */
export function siteResource(site: StoredSite): Record<string, unknown> {
  const hostName = `${site.name.toLowerCase()}.azurewebsites.net`;
  return {
    id: site.id,
    name: site.name,
    type: 'Microsoft.Web/sites',
    kind: site.kind,
    location: site.location,
    tags: { ...site.tags },
    // No properties.name: Microsoft.Web's Site definition has none (found by the OpenAPI conformance check).
    properties: {
      state: 'Running',
      hostNames: [hostName],
      enabledHostNames: [hostName, `${site.name.toLowerCase()}.scm.azurewebsites.net`],
      enabled: true,
      defaultHostName: hostName,
      resourceGroup: site.resourceGroup,
      httpsOnly: true,
    },
  };
}

/** A WorkflowEnvelope, as WebApps_ListWorkflows reports each workflow. */
export function workflowEnvelope(site: StoredSite, workflow: StoredStandardWorkflow): Record<string, unknown> {
  return {
    id: workflow.id,
    name: `${site.name}/${workflow.name}`,
    type: 'Microsoft.Web/sites/workflows',
    location: site.location,
    kind: workflow.kind,
    properties: { flowState: workflow.flowState, health: { state: 'Healthy' } },
  };
}

/** A Standard workflow trigger, as the management API's trigger list reports it. */
function triggerResource(workflow: StoredStandardWorkflow, triggerName: string): Record<string, unknown> {
  return {
    id: `${workflow.id}/triggers/${triggerName}`,
    name: triggerName,
    type: 'Microsoft.Web/sites/workflows/triggers',
    properties: {
      provisioningState: 'Succeeded',
      createdTime: armTime(workflow.createdTime),
      changedTime: armTime(workflow.changedTime),
      state: workflow.flowState,
    },
  };
}
