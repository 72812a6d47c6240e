import type { WorkflowHost } from './WorkflowHost';

/** A workflow resource ID taken apart. */
export type WorkflowResourceId =
  | { readonly host: 'consumption'; readonly subscriptionId: string; readonly resourceGroupName: string; readonly workflowName: string }
  | {
      readonly host: 'standard';
      readonly subscriptionId: string;
      readonly resourceGroupName: string;
      readonly siteName: string;
      readonly workflowName: string;
    }
  | { readonly host: 'powerAutomate'; readonly environmentName: string; readonly flowName: string };

const guid = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
/**
 * Azure's rule for resource group names: 1–90 letters or digits of any script, `_`, `-`, `.`, `(`, `)`,
 * not ending in `.` (Learn, "Naming rules and restrictions for Azure resources").
 */
export const resourceGroupNamePattern = '[-\\p{L}\\p{N}_.()]{0,89}[-\\p{L}\\p{N}_()]';
const resourceGroup = resourceGroupNamePattern;
const consumption = new RegExp(
  `^/subscriptions/(${guid})/resourceGroups/(${resourceGroup})/providers/Microsoft\\.Logic/workflows/([-\\w.()]{1,80})$`,
  'iu',
);
const standard = new RegExp(
  `^/subscriptions/(${guid})/resourceGroups/(${resourceGroup})/providers/Microsoft\\.Web/sites/([A-Za-z0-9][-A-Za-z0-9]{0,58}[A-Za-z0-9]?)/workflows/([-\\w.]{1,80})$`,
  'iu',
);
const powerAutomate = /^\/providers\/Microsoft\.ProcessSimple\/environments\/([-\w.]{1,100})\/flows\/([-\w]{1,100})$/i;

/** Undefined when the text is not a workflow ID of any supported host. */
export function parseWorkflowResourceId(workflowId: string): WorkflowResourceId | undefined {
  let match = consumption.exec(workflowId);
  if (match) {
    return {
      host: 'consumption',
      subscriptionId: match[1] as string,
      resourceGroupName: match[2] as string,
      workflowName: match[3] as string,
    };
  }
  match = standard.exec(workflowId);
  if (match) {
    return {
      host: 'standard',
      subscriptionId: match[1] as string,
      resourceGroupName: match[2] as string,
      siteName: match[3] as string,
      workflowName: match[4] as string,
    };
  }
  match = powerAutomate.exec(workflowId);
  if (match) {
    return { host: 'powerAutomate', environmentName: match[1] as string, flowName: match[2] as string };
  }
  return undefined;
}

/** The name a default secret name starts with: unique within its host. */
export function workflowDisplayName(id: WorkflowResourceId): string {
  switch (id.host) {
    case 'consumption':
      return id.workflowName;
    case 'standard':
      return `${id.siteName}-${id.workflowName}`;
    case 'powerAutomate':
      return id.flowName;
  }
}

/** The parsed ID of a target the config already validated for `host`. */
export function requireWorkflowResourceId<H extends WorkflowHost>(workflowId: string, host: H): Extract<WorkflowResourceId, { host: H }> {
  const id = parseWorkflowResourceId(workflowId);
  if (!id || id.host !== host) {
    throw new Error(`Not a ${host} workflow ID: ${workflowId}`);
  }
  return id as Extract<WorkflowResourceId, { host: H }>;
}
