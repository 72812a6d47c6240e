import type { CustomRoleAction } from '../customRoleAction';

/**
 * The Azure RBAC actions of sas-rotator's custom role (infra/core/security/workflow-key-role.bicep,
 * which a test compares with this list, with Microsoft's published operations list and with the ARM
 * requests the gateways and discovery actually send). Each entry names the calls that need it.
 *
 * Built-in roles do not fit: Logic App Operator cannot regenerate keys, Logic App Contributor grants
 * Microsoft.Logic/*, and Logic Apps Standard Operator grants microsoft.web/sites/hostruntime/*, which
 * includes the function host's master key (hostruntime/host/_master/read).
 *
 * Operation IDs: Microsoft.Logic 2019-05-01, Microsoft.Web 2024-04-01.
 */
export const workflowKeyRoleActions: readonly CustomRoleAction[] = [
  // Consumption (src/azure/logicApps/ConsumptionWorkflowGateway.ts) and its discovery (ArmTargetDiscovery.ts:
  // listings in the timer, one GET per queued target in the fan-out worker).
  {
    action: 'Microsoft.Logic/workflows/read',
    neededBy: ['Workflows_ListBySubscription', 'Workflows_ListByResourceGroup', 'Workflows_Get'],
  },
  { action: 'Microsoft.Logic/workflows/regenerateAccessKey/action', neededBy: ['Workflows_RegenerateAccessKey'] },
  { action: 'Microsoft.Logic/workflows/triggers/listCallbackUrl/action', neededBy: ['WorkflowTriggers_ListCallbackUrl'] },
  // Logic Apps Standard (src/azure/logicApps/StandardWorkflowGateway.ts) and its discovery.
  { action: 'Microsoft.Web/sites/read', neededBy: ['WebApps_List', 'WebApps_ListByResourceGroup', 'WebApps_Get'] },
  { action: 'Microsoft.Web/sites/workflows/read', neededBy: ['WebApps_ListWorkflows'] },
  {
    action: 'Microsoft.Web/sites/hostruntime/webhooks/api/workflows/triggers/listCallbackUrl/action',
    neededBy: ['WorkflowTriggers_ListCallbackUrl'],
  },
  // Microsoft publishes no action for the Standard workflow's regenerateAccessKey, and a custom role
  // may only name published actions or wildcards. The wildcard's derived action is
  // …/hostruntime/webhooks/api/workflows/regenerateAccessKey/action; of the published actions it also
  // reaches triggers/listCallbackUrl (granted anyway) and triggers/run, which notActions takes away.
  { action: 'Microsoft.Web/sites/hostruntime/webhooks/api/workflows/*/action', neededBy: ['Workflows_RegenerateAccessKey'] },
];

/** Taken back from the wildcard above: the identity must never be able to run a workflow. */
export const workflowKeyRoleNotActions: readonly string[] = ['Microsoft.Web/sites/hostruntime/webhooks/api/workflows/triggers/run/action'];
