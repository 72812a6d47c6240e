import type { ConsumptionWorkflowsState, StoredWorkflow } from './ConsumptionWorkflowsState';
import { logicAppsTime } from './logicAppsTime';
import type { StoredSite, StoredStandardWorkflow } from './StandardWorkflowsState';
import type { WorkflowState, WorkflowTrigger } from './WorkflowTrigger';

/** The resource bodies ARM answers with: Microsoft.Logic's workflows and triggers, Microsoft.Web's sites and Standard workflows. */

function triggerDefinition(trigger: WorkflowTrigger): Record<string, unknown> {
  return trigger.kind === 'Request'
    ? { type: 'Request', kind: 'Http', inputs: { schema: {} } }
    : { type: 'Recurrence', recurrence: { frequency: 'Day', interval: 1 } };
}

/** The properties every workflow and trigger resource opens with, Consumption and Standard alike. */
function provisionedProperties(
  workflow: { readonly createdTime: Date; readonly changedTime: Date },
  state: WorkflowState,
): Record<string, unknown> {
  return {
    provisioningState: 'Succeeded',
    createdTime: logicAppsTime(workflow.createdTime),
    changedTime: logicAppsTime(workflow.changedTime),
    state,
  };
}

/** The Workflows_Get body (a workflow without integration account or ISE, which then are simply absent). */
export function workflowResource(state: ConsumptionWorkflowsState, workflow: StoredWorkflow): Record<string, unknown> {
  return {
    properties: {
      ...provisionedProperties(workflow, workflow.state),
      version: workflow.version,
      accessEndpoint: state.accessEndpoint(workflow),
      definition: {
        $schema: 'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#',
        contentVersion: '1.0.0.0',
        parameters: {},
        triggers: Object.fromEntries(workflow.triggers.map((trigger) => [trigger.name, triggerDefinition(trigger)])),
        actions: {},
        outputs: {},
      },
      parameters: {},
      endpointsConfiguration: {
        workflow: { outgoingIpAddresses: [{ address: '127.0.0.1' }], accessEndpointIpAddresses: [{ address: '127.0.0.1' }] },
        connector: { outgoingIpAddresses: [{ address: '127.0.0.1' }] },
      },
    },
    id: workflow.id,
    name: workflow.name,
    type: 'Microsoft.Logic/workflows',
    location: workflow.location,
    tags: { ...workflow.tags },
  };
}

/** The WorkflowTriggers_Get body. */
export function triggerResource(workflow: StoredWorkflow, trigger: WorkflowTrigger): Record<string, unknown> {
  return {
    properties: {
      ...provisionedProperties(workflow, workflow.state),
      workflow: {
        id: `${workflow.id}/versions/${workflow.version}`,
        name: workflow.version,
        type: 'Microsoft.Logic/workflows/versions',
      },
    },
    id: `${workflow.id}/triggers/${trigger.name}`,
    name: trigger.name,
    type: 'Microsoft.Logic/workflows/triggers',
  };
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
export function standardTriggerResource(workflow: StoredStandardWorkflow, triggerName: string): Record<string, unknown> {
  return {
    id: `${workflow.id}/triggers/${triggerName}`,
    name: triggerName,
    type: 'Microsoft.Web/sites/workflows/triggers',
    properties: provisionedProperties(workflow, workflow.flowState),
  };
}
