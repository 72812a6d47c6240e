import { workflowKeyRoleActions, workflowKeyRoleNotActions } from '../../src/azure/logicApps/workflowKeyRoleActions';
import { rbacMatches } from './rbac';

/**
 * Azure RBAC as the workflow key role (src/azure/logicApps/workflowKeyRoleActions.ts) meets it, for the
 * tests that check the role against what sas-rotator sends and what the specs declare (Azure RBAC itself: ./rbac.ts).
 */

/** Whether the role lets `action` through: one of its actions matches it, and none of its notActions. */
export function granted(action: string): boolean {
  return (
    workflowKeyRoleActions.some((entry) => rbacMatches(entry.action, action)) &&
    !workflowKeyRoleNotActions.some((pattern) => rbacMatches(pattern, action))
  );
}
