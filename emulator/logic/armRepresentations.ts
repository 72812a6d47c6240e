import type { ConsumptionWorkflowsState, StoredWorkflow } from './ConsumptionWorkflowsState';
import type { WorkflowTrigger } from './WorkflowTrigger';

/** Logic Apps reports times with seven fractional digits. */
export function armTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, (_match, milliseconds: string) => `.${milliseconds}0000Z`);
}

function triggerDefinition(trigger: WorkflowTrigger): Record<string, unknown> {
  return trigger.kind === 'Request'
    ? { type: 'Request', kind: 'Http', inputs: { schema: {} } }
    : { type: 'Recurrence', recurrence: { frequency: 'Day', interval: 1 } };
}

/** The Workflows_Get body (a workflow without integration account or ISE, which then are simply absent). */
export function workflowResource(state: ConsumptionWorkflowsState, workflow: StoredWorkflow): Record<string, unknown> {
  return {
    properties: {
      provisioningState: 'Succeeded',
      createdTime: armTime(workflow.createdTime),
      changedTime: armTime(workflow.changedTime),
      state: workflow.state,
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
      provisioningState: 'Succeeded',
      createdTime: armTime(workflow.createdTime),
      changedTime: armTime(workflow.changedTime),
      state: workflow.state,
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
