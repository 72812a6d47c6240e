import { workflowKeyRoleActions, workflowKeyRoleNotActions } from '../../src/azure/logicApps/workflowKeyRoleActions';

/**
 * Azure RBAC as the workflow key role (src/azure/logicApps/workflowKeyRoleActions.ts) meets it, for the
 * tests that check the role against what sas-rotator sends and what the specs declare.
 */

/** Azure RBAC matching: case-insensitive, `*` matches any characters (also `/`). */
export function rbacMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
  return regex.test(action);
}

/** Whether the role lets `action` through: one of its actions matches it, and none of its notActions. */
export function granted(action: string): boolean {
  return (
    workflowKeyRoleActions.some((entry) => rbacMatches(entry.action, action)) &&
    !workflowKeyRoleNotActions.some((pattern) => rbacMatches(pattern, action))
  );
}

/**
 * The action ARM authorizes a request by: the provider namespace, the resource type segments (every
 * other segment after it, names skipped), then read/write/delete by method (in any letter case, as
 * in a spec's paths), or `{name}/action` for a POST. The published
 * `…/sites/hostruntime/webhooks/api/workflows/triggers/listCallbackUrl/action` for
 * `…/sites/{app}/hostruntime/runtime/webhooks/workflow/api/management/workflows/{wf}/triggers/{t}/listCallbackUrl`
 * shows that the workflow management API under a site follows the same rule.
 */
export function actionOf(method: string, path: string): string {
  const match = /\/providers\/([^/]+)\/(.+)$/i.exec(path);
  if (!match) throw new Error(`not a provider path: ${method} ${path}`);
  const types = (match[2] ?? '').split('/').filter((_, index) => index % 2 === 0);
  const namespace = match[1] ?? '';
  const upper = method.toUpperCase();
  if (upper === 'POST') return `${namespace}/${types.join('/')}/action`;
  const verb = { GET: 'read', PUT: 'write', PATCH: 'write', DELETE: 'delete' }[upper];
  if (!verb) throw new Error(`no RBAC verb for ${method} ${path}`);
  return `${namespace}/${types.join('/')}/${verb}`;
}
