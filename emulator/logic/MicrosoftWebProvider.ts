import { azureError, isSegment, jsonResponse, type EmulatorRequest, type EmulatorResponse } from '../EmulatorExchange';
import type { ArmApiVersionPolicy } from './ArmFrontDoor';
import type { ArmPages } from './armPaging';
import { siteResource, standardTriggerResource, workflowEnvelope } from './armRepresentations';
import { isInScope, listOperation, parseArmResourcePath, resourceNotFound } from './armResources';
import type { ArmOperation, ArmResourceProvider } from './ArmRouter';
import type { StandardWorkflowsState, StoredStandardWorkflow } from './StandardWorkflowsState';
import { listTriggerCallbackUrl, regenerateAccessKey, triggerNotFound } from './workflowActions';

/**
 * Microsoft.Web api-versions that have the workflow paths (sites/{name}/workflows and hostruntime/…/management):
 * ARM accepts any registered version, and a Logic api-version (2019-05-01) sent here is the mistake to catch.
 */
const supportedApiVersions: readonly string[] = ['2022-03-01', '2022-09-01', '2023-01-01', '2023-12-01', '2024-04-01', '2024-11-01'];

interface WebRoute extends ArmOperation {
  readonly site?: string;
  readonly workflowName?: string;
  readonly triggerName?: string;
}

const managementPrefix = ['hostruntime', 'runtime', 'webhooks', 'workflow', 'api', 'management', 'workflows'];

/** Resolves an ARM path to the Microsoft.Web operation the emulator knows. */
function resolveRoute(method: string, pathname: string): WebRoute | undefined {
  const path = parseArmResourcePath(pathname, 'Microsoft.Web/sites');
  if (!path) return undefined;
  if (path.kind === 'list') return listOperation(method, path, 'WebApps_List', 'WebApps_ListByResourceGroup');
  const { subscriptionId, resourceGroup } = path;
  const base = { subscriptionId, resourceGroup, site: path.name };
  const { segments } = path;
  if (method === 'GET' && segments.length === 0) return { operationId: 'WebApps_Get', ...base };
  if (method === 'GET' && segments.length === 1 && isSegment(segments[0], 'workflows'))
    return { operationId: 'WebApps_ListWorkflows', ...base };
  if (method === 'GET' && segments.length === 2 && isSegment(segments[0], 'workflows'))
    return { operationId: 'WebApps_GetWorkflow', ...base, workflowName: segments[1] as string };
  if (segments.length <= managementPrefix.length || !managementPrefix.every((name, index) => isSegment(segments[index], name)))
    return undefined;
  const [workflowName, first, second, third] = segments.slice(managementPrefix.length) as [string, ...Array<string | undefined>];
  const tail = segments.length - managementPrefix.length - 1;
  const workflow = { ...base, workflowName };
  if (method === 'POST' && tail === 1 && isSegment(first, 'regenerateAccessKey'))
    return { operationId: 'StandardWorkflows_RegenerateAccessKey', ...workflow };
  if (method === 'GET' && tail === 1 && isSegment(first, 'triggers')) return { operationId: 'StandardWorkflowTriggers_List', ...workflow };
  if (method === 'GET' && tail === 2 && isSegment(first, 'triggers'))
    return { operationId: 'StandardWorkflowTriggers_Get', ...workflow, triggerName: second as string };
  if (method === 'POST' && tail === 3 && isSegment(first, 'triggers') && isSegment(third, 'listCallbackUrl')) {
    return { operationId: 'StandardWorkflowTriggers_ListCallbackUrl', ...workflow, triggerName: second as string };
  }
  return undefined;
}

/**
 * The Microsoft.Web resource provider behind ARM, as far as Logic Apps Standard needs it (2024-04-01 shapes):
 * sites (for discovery by tag), a site's workflows, and the workflow management API under
 * `sites/{app}/hostruntime/runtime/webhooks/workflow/api/management/workflows/{wf}`.
 */
export class MicrosoftWebProvider implements ArmResourceProvider<WebRoute> {
  readonly namespace = 'Microsoft.Web';
  readonly apiVersions: ArmApiVersionPolicy = {
    supported: supportedApiVersions,
    unsupported: (apiVersion) =>
      azureError(
        400,
        'NoRegisteredProviderFound',
        `No registered resource provider found for location 'westeurope' and API version '${apiVersion}' for type 'sites'. ` +
          `The supported api-versions are '${supportedApiVersions.join(', ')}'.`,
      ),
  };

  constructor(
    private readonly state: StandardWorkflowsState,
    private readonly pages: ArmPages,
  ) {}

  readonly route = resolveRoute;

  handle(request: EmulatorRequest, webRoute: WebRoute): EmulatorResponse {
    const { subscriptionId, resourceGroup = '' } = webRoute;
    if (webRoute.operationId === 'WebApps_List' || webRoute.operationId === 'WebApps_ListByResourceGroup') {
      return this.pages.page(request, this.state.listSites(subscriptionId, webRoute.resourceGroup), siteResource, {
        operationId: webRoute.operationId,
        apiVersion: request.url.searchParams.get('api-version') ?? '2024-04-01',
        nullNextLinkOnLastPage: true,
      });
    }
    const site = this.state.findSite(webRoute.site ?? '');
    if (!site || !isInScope(site, subscriptionId, resourceGroup))
      return resourceNotFound('Microsoft.Web/sites', webRoute.site ?? '', resourceGroup);
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
        return regenerateAccessKey(request, (keyType) => this.state.regenerateAccessKey(workflow.id, keyType));
      case 'StandardWorkflowTriggers_List':
        return jsonResponse(200, {
          value: workflow.triggers.map((trigger) => standardTriggerResource(workflow, trigger.name)),
          nextLink: null,
        });
      default:
        return this.triggerOperation(request, webRoute, workflow);
    }
  }

  private triggerOperation(request: EmulatorRequest, webRoute: WebRoute, workflow: StoredStandardWorkflow): EmulatorResponse {
    const trigger = this.state.trigger(workflow, webRoute.triggerName ?? '');
    if (!trigger) return triggerNotFound(workflow.name, webRoute.triggerName ?? '');
    if (webRoute.operationId === 'StandardWorkflowTriggers_Get') return jsonResponse(200, standardTriggerResource(workflow, trigger.name));
    return listTriggerCallbackUrl(request, trigger, (keyType, options) =>
      this.state.callbackUrl(workflow, trigger, this.state.listedKeyType(workflow, keyType), options),
    );
  }
}
