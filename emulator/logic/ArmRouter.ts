import {
  azureError,
  decodePathSegment,
  defaultErrorCode,
  type EmulatorRequest,
  type EmulatorResponse,
  type EmulatorServiceHandler,
  type RequestClassification,
} from '../EmulatorExchange';
import type { FaultRule } from '../FaultInjector';
import type { ArmApiVersionPolicy, ArmFrontDoor } from './ArmFrontDoor';
import { invalidResourceType, resourceGroupNotFound, type ResourceGroups } from './armResources';

/** An operation a resource provider knows, and where it acts: a resource group, or (a list) the whole subscription; '' for a tenant-level operation. */
export interface ArmOperation {
  readonly operationId: string;
  readonly subscriptionId: string;
  readonly resourceGroup?: string;
}

/** A resource provider behind ARM: what a request reaches once ARM let it through. */
export interface ArmResourceProvider<Route extends ArmOperation = ArmOperation> {
  /** The namespace in its paths (`/providers/Microsoft.Web/…`). */
  readonly namespace: string;
  /** The api-versions it registered for its resource types. */
  readonly apiVersions: ArmApiVersionPolicy;
  /** The operation a request names; `undefined` for a path the provider has no operation for. */
  route(method: string, pathname: string): Route | undefined;
  /** Answers a request ARM admitted, for an operation the provider knows, in a resource group that exists. */
  handle(request: EmulatorRequest, route: Route): EmulatorResponse;
}

/**
 * ARM on one port: its front door (tokens, api-versions, throttling, headers) before every resource provider,
 * each request routed to the provider whose namespace its path names; ARM itself refuses a resource type
 * no provider has and a resource group that does not exist, and answers faults in its error shape.
 */
export class ArmRouter implements EmulatorServiceHandler {
  readonly service = 'arm' as const;

  /**
   * @param fallback the provider that answers every path no other provider's namespace appears in.
   * @param providers the others, asked in order.
   */
  constructor(
    private readonly frontDoor: ArmFrontDoor,
    private readonly resourceGroups: ResourceGroups,
    private readonly fallback: ArmResourceProvider,
    private readonly providers: readonly ArmResourceProvider[],
  ) {}

  classify(method: string, url: URL): RequestClassification {
    const resolved = this.provider(url).route(method, url.pathname);
    // A tenant-level operation (Resource Graph's query) names no subscription: its route's is ''.
    if (resolved)
      return resolved.subscriptionId === ''
        ? { operationId: resolved.operationId }
        : { operationId: resolved.operationId, subscriptionId: resolved.subscriptionId };
    const subscription = /^\/subscriptions\/([^/]+)/i.exec(url.pathname)?.[1];
    return subscription ? { operationId: 'Unknown', subscriptionId: decodePathSegment(subscription) } : { operationId: 'Unknown' };
  }

  handle(request: EmulatorRequest): EmulatorResponse {
    const provider = this.provider(request.url);
    const rejection = this.frontDoor.admit(request, provider.apiVersions);
    if (rejection) return rejection;
    const route = provider.route(request.method, request.url.pathname);
    if (!route) return invalidResourceType(request, provider.namespace);
    if (route.resourceGroup !== undefined && !this.resourceGroups.exists(route.subscriptionId, route.resourceGroup)) {
      return resourceGroupNotFound(route.resourceGroup);
    }
    return provider.handle(request, route);
  }

  faultResponse(_request: EmulatorRequest, fault: FaultRule): EmulatorResponse {
    const status = fault.status ?? 500;
    const code = fault.errorCode ?? (status === 429 ? 'SubscriptionRequestsThrottled' : defaultErrorCode(status));
    const retryAfter = fault.retryAfterSeconds ?? (status === 429 ? 1 : undefined);
    return azureError(status, code, fault.message ?? faultMessage(status), {
      headers: retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : undefined,
    });
  }

  decorate(request: EmulatorRequest, response: EmulatorResponse): void {
    this.frontDoor.decorate(request, response);
  }

  private provider(url: URL): ArmResourceProvider {
    return this.providers.find((provider) => namesNamespace(url.pathname, provider.namespace)) ?? this.fallback;
  }
}

function namesNamespace(pathname: string, namespace: string): boolean {
  return pathname
    .toLowerCase()
    .split('/providers/')
    .slice(1)
    .some((rest) => rest.split('/')[0] === namespace.toLowerCase());
}

function faultMessage(status: number): string {
  if (status === 429)
    return 'Number of requests exceeded the limit. Please try again later. Please see https://aka.ms/ARMThrottling for default limits.';
  if (status === 503) return 'The service is temporarily unavailable. Please try again later.';
  if (status >= 500) return 'The server encountered an internal error. Please retry the request.';
  return 'The request failed.';
}
