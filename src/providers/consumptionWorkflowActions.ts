/**
 * The Azure RBAC actions sas-rotator needs on Consumption workflows: the custom role in
 * infra/ grants exactly these (a test compares them). The built-in Logic App Operator role cannot
 * regenerate keys, and Logic App Contributor grants far more than this.
 * Called today: regenerateAccessKey and triggers/listCallbackUrl; the reads let operators and the
 * status command resolve workflows, and the other listCallbackUrl variants are what Microsoft's
 * least-privilege guidance lists for callback URLs.
 */
export const consumptionWorkflowActions = [
  'Microsoft.Logic/workflows/read',
  'Microsoft.Logic/workflows/triggers/read',
  'Microsoft.Logic/workflows/versions/read',
  'Microsoft.Logic/workflows/regenerateAccessKey/action',
  'Microsoft.Logic/workflows/listCallbackUrl/action',
  'Microsoft.Logic/workflows/triggers/listCallbackUrl/action',
  'Microsoft.Logic/workflows/versions/triggers/listCallbackUrl/action',
] as const;
