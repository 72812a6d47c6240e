/**
 * Azure RBAC as the tests of sas-rotator's custom roles (the workflow key role, the dependent update role)
 * meet it: how a role's action patterns match, and the action ARM authorizes a request by.
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

/**
 * The action ARM authorizes a request by: the namespace after the *last* `/providers/` (an extension
 * resource such as an event subscription on a topic is authorized as its own type, not the topic's),
 * the resource type segments after it (every other segment, names skipped), then read/write/delete by
 * method (in any letter case, as in a spec's paths), or `{name}/action` for a POST. The query string
 * plays no part. The published
 * `…/sites/hostruntime/webhooks/api/workflows/triggers/listCallbackUrl/action` for
 * `…/sites/{app}/hostruntime/runtime/webhooks/workflow/api/management/workflows/{wf}/triggers/{t}/listCallbackUrl`
 * shows that the workflow management API under a site follows the same rule.
 */
export function actionOf(method: string, url: string): string {
  const path = url.split('?')[0] ?? '';
  const index = path.toLowerCase().lastIndexOf('/providers/');
  if (index < 0) throw new Error(`not a provider path: ${method} ${url}`);
  const [namespace = '', ...rest] = path.slice(index + '/providers/'.length).split('/');
  const types = rest.filter((_, position) => position % 2 === 0);
  const upper = method.toUpperCase();
  if (upper === 'POST') return `${namespace}/${types.join('/')}/action`;
  const verb = { GET: 'read', PUT: 'write', PATCH: 'write', DELETE: 'delete' }[upper];
  if (!verb) throw new Error(`no RBAC verb for ${method} ${url}`);
  return `${namespace}/${types.join('/')}/${verb}`;
}
