/** The two access keys of a Logic Apps workflow; `sig` is made with one of them. */
export type WorkflowKeyType = 'Primary' | 'Secondary';

export const workflowKeyTypes: readonly WorkflowKeyType[] = ['Primary', 'Secondary'];

/** ARM deserialises enums without regard to case. */
export function parseWorkflowKeyType(value: unknown): WorkflowKeyType | undefined {
  if (typeof value !== 'string') return undefined;
  return workflowKeyTypes.find((keyType) => keyType.toLowerCase() === value.toLowerCase());
}
