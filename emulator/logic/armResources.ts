import {
  azureError,
  decodePathSegment,
  jsonObjectBody,
  type EmulatorRequest,
  type EmulatorResponse,
  type Rejection,
} from '../EmulatorExchange';

/**
 * ARM's resource model as every resource provider behind it sees it (Microsoft.Logic, Microsoft.Web): scopes,
 * resource paths, and what ARM answers about a resource that is not there.
 */

/** Where an ARM resource lives. */
export interface ArmScoped {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
}

/**
 * The resource groups ARM knows, whichever provider's resources they hold (Microsoft.Logic workflows,
 * Microsoft.Web sites): one exists once added, or once a resource was added to it.
 */
export class ResourceGroups {
  private readonly groups = new Set<string>();

  add(subscriptionId: string, resourceGroup: string): void {
    this.groups.add(`${subscriptionId}/${resourceGroup}`.toLowerCase());
  }

  exists(subscriptionId: string, resourceGroup: string): boolean {
    return this.groups.has(`${subscriptionId}/${resourceGroup}`.toLowerCase());
  }
}

/** Whether a resource lies in a subscription, or in one of its resource groups (ARM compares names without regard to case). */
export function isInScope(resource: ArmScoped, subscriptionId: string, resourceGroup?: string): boolean {
  return (
    resource.subscriptionId.toLowerCase() === subscriptionId.toLowerCase() &&
    (resourceGroup === undefined || resource.resourceGroup.toLowerCase() === resourceGroup.toLowerCase())
  );
}

/** What an ARM path under a resource type names: the type's list in a scope, or one resource and what follows its name. */
export type ArmResourcePath =
  | { readonly kind: 'list'; readonly subscriptionId: string; readonly resourceGroup?: string }
  | {
      readonly kind: 'resource';
      readonly subscriptionId: string;
      readonly resourceGroup: string;
      readonly name: string;
      readonly segments: readonly string[];
    };

/**
 * Reads `/subscriptions/{s}[/resourceGroups/{rg}]/providers/{resourceType}[/{name}[/…]]` (e.g. `Microsoft.Logic/workflows`),
 * names decoded, a trailing slash ignored; `undefined` for any other path, or a named resource outside a resource group.
 */
export function parseArmResourcePath(pathname: string, resourceType: string): ArmResourcePath | undefined {
  const type = resourceType.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`^/subscriptions/([^/]+)(?:/resourceGroups/([^/]+))?/providers/${type}(?:/([^/]+)(/.*)?)?$`, 'i').exec(
    pathname.replace(/\/+$/, ''),
  );
  if (!match) return undefined;
  const [, rawSubscription = '', rawGroup, rawName, rest = ''] = match;
  const subscriptionId = decodePathSegment(rawSubscription);
  const resourceGroup = rawGroup !== undefined ? decodePathSegment(rawGroup) : undefined;
  if (rawName === undefined) return { kind: 'list', subscriptionId, ...(resourceGroup !== undefined ? { resourceGroup } : {}) };
  if (resourceGroup === undefined) return undefined;
  const segments = rest
    .split('/')
    .filter((segment) => segment !== '')
    .map(decodePathSegment);
  return { kind: 'resource', subscriptionId, resourceGroup, name: decodePathSegment(rawName), segments };
}

/**
 * The operation a type's list path names: a GET lists the subscription's or the resource group's
 * resources (`bySubscription`, `byResourceGroup`, e.g. `Workflows_ListBySubscription`); no other method has one.
 */
export function listOperation(
  method: string,
  path: { readonly subscriptionId: string; readonly resourceGroup?: string },
  bySubscription: string,
  byResourceGroup: string,
): { readonly operationId: string; readonly subscriptionId: string; readonly resourceGroup?: string } | undefined {
  if (method !== 'GET') return undefined;
  const { subscriptionId, resourceGroup } = path;
  if (resourceGroup === undefined) return { operationId: bySubscription, subscriptionId };
  return { operationId: byResourceGroup, subscriptionId, resourceGroup };
}

/**
 * The operation a method names on one resource, by `operations` (e.g. `{ GET: 'ActionGroups_Get', PUT: … }`), with the
 * route's `base`; none for another method.
 */
export function resourceOperation<Base extends object>(
  method: string,
  operations: Readonly<Record<string, string>>,
  base: Base,
): (Base & { readonly operationId: string }) | undefined {
  const operationId = Object.hasOwn(operations, method) ? operations[method] : undefined;
  return operationId === undefined ? undefined : { operationId, ...base };
}

/**
 * A resource provider's JSON object body; otherwise `InvalidRequestContent`, in ARM's error shape or, through
 * `error`, the provider's own.
 */
export function armRequestObject(
  request: EmulatorRequest,
  error: (code: string, message: string) => EmulatorResponse = (code, message) => azureError(400, code, message),
): Record<string, unknown> | Rejection {
  return jsonObjectBody(request, {
    notJson: () => error('InvalidRequestContent', 'The request content was invalid and could not be deserialized.'),
    notObject: () => error('InvalidRequestContent', 'The request content must be a JSON object.'),
  });
}

/** A path the provider has no operation for. */
export function invalidResourceType(request: EmulatorRequest, namespace: string): EmulatorResponse {
  return azureError(
    404,
    'InvalidResourceType',
    `The resource type could not be found for the request '${request.method} ${request.url.pathname}' in the namespace '${namespace}' for api version '${request.url.searchParams.get('api-version') ?? ''}'.`,
  );
}

export function resourceGroupNotFound(resourceGroup: string): EmulatorResponse {
  return azureError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`);
}

/** `resourceType` as ARM spells it in the message: `Microsoft.Logic/workflows`. */
export function resourceNotFound(resourceType: string, name: string, resourceGroup: string): EmulatorResponse {
  return azureError(
    404,
    'ResourceNotFound',
    `The Resource '${resourceType}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}
