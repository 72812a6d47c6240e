import { parseWorkflowResourceId } from '../rotation/WorkflowResourceId';
import type { WorkflowHost } from '../rotation/WorkflowHost';

const labels: Record<WorkflowHost, string> = { consumption: 'Consumption', standard: 'Standard', powerAutomate: 'Power Automate' };

/** The host as operators name it, read from the workflow's resource ID; `-` if it is none of them. */
export function workflowHostLabel(workflowId: string): string {
  const id = parseWorkflowResourceId(workflowId);
  return id ? labels[id.host] : '-';
}
