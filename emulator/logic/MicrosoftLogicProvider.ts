import { azureError, isSegment, jsonResponse, Rejection, type EmulatorRequest, type EmulatorResponse } from '../EmulatorExchange';
import type { ArmApiVersionPolicy } from './ArmFrontDoor';
import type { ArmPages } from './armPaging';
import { triggerResource, workflowResource } from './armRepresentations';
import { listOperation, parseArmResourcePath, resourceNotFound } from './armResources';
import type { ArmOperation, ArmResourceProvider } from './ArmRouter';
import type { ConsumptionWorkflowsState, StoredWorkflow } from './ConsumptionWorkflowsState';
import { callbackUrlBody, callbackUrlParameters, listTriggerCallbackUrl, regenerateAccessKey, triggerNotFound } from './workflowActions';

const apiVersion = '2019-05-01';

interface LogicRoute extends ArmOperation {
  readonly workflowName?: string;
  readonly triggerName?: string;
  readonly versionId?: string;
}

/** Resolves an ARM path to the 2019-05-01 operation it names (ARM matches paths without regard to case). */
function resolveRoute(method: string, pathname: string): LogicRoute | undefined {
  const path = parseArmResourcePath(pathname, 'Microsoft.Logic/workflows');
  if (!path) return undefined;
  if (path.kind === 'list') return listOperation(method, path, 'Workflows_ListBySubscription', 'Workflows_ListByResourceGroup');
  const { subscriptionId, resourceGroup } = path;
  const base = { subscriptionId, resourceGroup, workflowName: path.name };
  const { segments } = path;
  const [first, second, third, fourth, fifth] = segments;
  if (method === 'GET') {
    if (segments.length === 0) return { operationId: 'Workflows_Get', ...base };
    if (segments.length === 1 && isSegment(first, 'triggers')) return { operationId: 'WorkflowTriggers_List', ...base };
    if (segments.length === 2 && isSegment(first, 'triggers'))
      return { operationId: 'WorkflowTriggers_Get', ...base, triggerName: second as string };
  }
  if (method === 'POST') {
    if (segments.length === 1 && isSegment(first, 'regenerateAccessKey')) return { operationId: 'Workflows_RegenerateAccessKey', ...base };
    if (segments.length === 1 && isSegment(first, 'listCallbackUrl')) return { operationId: 'Workflows_ListCallbackUrl', ...base };
    if (segments.length === 3 && isSegment(first, 'triggers') && isSegment(third, 'listCallbackUrl')) {
      return { operationId: 'WorkflowTriggers_ListCallbackUrl', ...base, triggerName: second as string };
    }
    if (segments.length === 5 && isSegment(first, 'versions') && isSegment(third, 'triggers') && isSegment(fifth, 'listCallbackUrl')) {
      return {
        operationId: 'WorkflowVersionTriggers_ListCallbackUrl',
        ...base,
        versionId: second as string,
        triggerName: fourth as string,
      };
    }
  }
  return undefined;
}

/** The Microsoft.Logic resource provider behind ARM (api-version 2019-05-01): Consumption workflows. */
export class MicrosoftLogicProvider implements ArmResourceProvider<LogicRoute> {
  readonly namespace = 'Microsoft.Logic';
  readonly apiVersions: ArmApiVersionPolicy = { supported: [apiVersion] };

  constructor(
    private readonly state: ConsumptionWorkflowsState,
    private readonly pages: ArmPages,
  ) {}

  readonly route = resolveRoute;

  handle(request: EmulatorRequest, logicRoute: LogicRoute): EmulatorResponse {
    const { subscriptionId, resourceGroup = '', workflowName = '' } = logicRoute;
    if (logicRoute.operationId === 'Workflows_ListBySubscription' || logicRoute.operationId === 'Workflows_ListByResourceGroup') {
      return this.pages.page(
        request,
        this.state.list(subscriptionId, logicRoute.resourceGroup),
        (workflow) => workflowResource(this.state, workflow),
        {
          operationId: logicRoute.operationId,
          apiVersion,
          nullNextLinkOnLastPage: false,
        },
      );
    }
    const workflow = this.state.find(
      `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Logic/workflows/${workflowName}`,
    );
    if (!workflow) return resourceNotFound('Microsoft.Logic/workflows', workflowName, resourceGroup);
    switch (logicRoute.operationId) {
      case 'Workflows_Get':
        return jsonResponse(200, workflowResource(this.state, workflow));
      case 'WorkflowTriggers_List':
        return jsonResponse(200, { value: workflow.triggers.map((trigger) => triggerResource(workflow, trigger)) });
      case 'Workflows_RegenerateAccessKey':
        return regenerateAccessKey(request, (keyType) => this.state.regenerateAccessKey(workflow.id, keyType));
      case 'Workflows_ListCallbackUrl':
        return this.listWorkflowCallbackUrl(request, workflow);
      default:
        return this.triggerOperation(request, logicRoute, workflow);
    }
  }

  private triggerOperation(request: EmulatorRequest, logicRoute: LogicRoute, workflow: StoredWorkflow): EmulatorResponse {
    const trigger = this.state.trigger(workflow, logicRoute.triggerName ?? '');
    if (!trigger) return triggerNotFound(workflow.name, logicRoute.triggerName ?? '');
    if (logicRoute.operationId === 'WorkflowTriggers_Get') return jsonResponse(200, triggerResource(workflow, trigger));
    const { versionId } = logicRoute;
    if (versionId !== undefined && versionId !== workflow.version) {
      return azureError(404, 'WorkflowVersionNotFound', `The workflow '${workflow.name}' version '${versionId}' could not be found.`);
    }
    return listTriggerCallbackUrl(request, trigger, (keyType, options) =>
      this.state.callbackUrl(workflow, trigger, this.state.listedKeyType(workflow, keyType), {
        ...(versionId !== undefined ? { versionId } : {}),
        ...options,
      }),
    );
  }

  /** The workflow-level action reports the URL of its Request trigger, with the workflow's access endpoint as basePath. */
  private listWorkflowCallbackUrl(request: EmulatorRequest, workflow: StoredWorkflow): EmulatorResponse {
    const parameters = callbackUrlParameters(request);
    if (parameters instanceof Rejection) return parameters.response;
    const trigger = workflow.triggers.find((candidate) => candidate.kind === 'Request');
    if (!trigger) {
      return azureError(
        400,
        'ApiNotSupported',
        "The 'ListCallbackUrl' API is not supported by workflows that have no trigger of type 'Request'.",
      );
    }
    const callbackUrl = this.state.callbackUrl(
      workflow,
      trigger,
      parameters.keyType,
      parameters.notAfter ? { notAfter: parameters.notAfter } : {},
    );
    return jsonResponse(200, callbackUrlBody(callbackUrl, this.state.accessEndpoint(workflow)));
  }
}
