import { randomUUID } from 'crypto';
import type { AccessTokenAuthority } from '../AccessTokenAuthority';
import {
  azureError,
  decodePathSegment,
  defaultErrorCode,
  header,
  isSegment,
  jsonResponse,
  type EmulatorRequest,
  type EmulatorResponse,
  type EmulatorServiceHandler,
  type RequestClassification,
} from '../EmulatorExchange';
import type { FaultRule } from '../FaultInjector';
import { callbackUrlBody, requireRequestTrigger, triggerNotFound } from '../logic/workflowActions';
import type { FlowsState, StoredFlow } from './FlowsState';

export const supportedFlowApiVersion = '2016-11-01';
/** The audience of Flow API tokens (`https://service.flow.microsoft.com/.default`); compared with or without the slash. */
export const flowApiAudience = 'https://service.flow.microsoft.com/';

interface FlowRoute {
  readonly operationId: 'Flows_RegenerateAccessKey' | 'FlowTriggers_ListCallbackUrl';
  readonly environment: string;
  readonly flowName: string;
  readonly triggerName?: string;
}

const flowPattern = /^\/providers\/Microsoft\.ProcessSimple\/environments\/([^/]+)\/flows\/([^/]+)\/(.+)$/i;

function route(method: string, pathname: string): FlowRoute | undefined {
  const match = flowPattern.exec(pathname.replace(/\/+$/, ''));
  if (!match || method !== 'POST') return undefined;
  const [, rawEnvironment = '', rawFlow = '', rest = ''] = match;
  const base = { environment: decodePathSegment(rawEnvironment), flowName: decodePathSegment(rawFlow) };
  const segments = rest.split('/').map(decodePathSegment);
  if (segments.length === 1 && isSegment(segments[0], 'regenerateAccessKey')) return { operationId: 'Flows_RegenerateAccessKey', ...base };
  if (segments.length === 3 && isSegment(segments[0], 'triggers') && isSegment(segments[2], 'listCallbackUrl')) {
    return { operationId: 'FlowTriggers_ListCallbackUrl', ...base, triggerName: segments[1] as string };
  }
  return undefined;
}

/**
 * The Power Automate Flow service API (`https://api.flow.microsoft.com`, api-version 2016-11-01): Entra bearer
 * tokens for `https://service.flow.microsoft.com/`, errors as `{ "error": { "code", "message" } }`, and, for a
 * flow configured so, successful answers wrapped as `{ "response": { … } }`.
 */
export class FlowApiService implements EmulatorServiceHandler {
  readonly service = 'flow' as const;

  constructor(
    private readonly flows: FlowsState,
    private readonly authority: AccessTokenAuthority,
  ) {}

  classify(method: string, url: URL): RequestClassification {
    return { operationId: route(method, url.pathname)?.operationId ?? 'Unknown' };
  }

  handle(request: EmulatorRequest): EmulatorResponse {
    const rejection = this.authenticate(request) ?? requireApiVersion(request);
    if (rejection) return rejection;
    const flowRoute = route(request.method, request.url.pathname);
    if (!flowRoute)
      return azureError(
        404,
        'NotFound',
        `The request '${request.method} ${request.url.pathname}' does not match any operation of the Flow service.`,
      );
    if (!this.flows.environmentExists(flowRoute.environment)) {
      return azureError(
        404,
        'EnvironmentNotFound',
        `The environment '${flowRoute.environment}' could not be found in the tenant '${this.authority.tenantId}'.`,
      );
    }
    const flow = this.flows.find(`/providers/Microsoft.ProcessSimple/environments/${flowRoute.environment}/flows/${flowRoute.flowName}`);
    if (!flow) return azureError(404, 'FlowNotFound', `Could not find flow '${flowRoute.flowName}'.`);
    if (flowRoute.operationId === 'Flows_RegenerateAccessKey') {
      // A flow has one key: no key type, and the body (if any) is not read.
      this.flows.regenerateAccessKey(flow.id);
      return flow.wrapResponses ? jsonResponse(200, { response: {} }) : { status: 200 };
    }
    return this.listCallbackUrl(flow, flowRoute.triggerName ?? '');
  }

  faultResponse(_request: EmulatorRequest, fault: FaultRule): EmulatorResponse {
    const status = fault.status ?? 500;
    const response = azureError(status, fault.errorCode ?? defaultErrorCode(status), fault.message ?? faultMessage(status));
    const retryAfter = fault.retryAfterSeconds ?? (status === 429 ? 1 : undefined);
    if (retryAfter !== undefined) response.headers = { 'retry-after': String(retryAfter) };
    return response;
  }

  decorate(request: EmulatorRequest, response: EmulatorResponse): void {
    const requestId = randomUUID();
    response.headers = {
      'x-ms-request-id': requestId,
      'x-ms-correlation-request-id': header(request, 'x-ms-correlation-request-id') ?? requestId,
      'cache-control': 'no-cache',
      ...(response.headers ?? {}),
    };
  }

  private listCallbackUrl(flow: StoredFlow, triggerName: string): EmulatorResponse {
    const trigger = this.flows.trigger(flow, triggerName);
    if (!trigger) return triggerNotFound(flow.name, triggerName);
    const notSupported = requireRequestTrigger(trigger);
    if (notSupported) return notSupported;
    const body = callbackUrlBody(this.flows.callbackUrl(flow));
    return jsonResponse(200, flow.wrapResponses ? { response: body } : body);
  }

  private authenticate(request: EmulatorRequest): EmulatorResponse | undefined {
    const verdict = this.authority.verify(header(request, 'authorization'), [flowApiAudience]);
    const challenge = {
      headers: {
        'www-authenticate': `Bearer authorization_uri="https://login.windows.net/${this.authority.tenantId}", error="invalid_token"`,
      },
    };
    const unauthorized = (code: string, message: string) => azureError(401, code, message, challenge);
    switch (verdict.outcome) {
      case 'valid':
        return undefined;
      case 'missing':
        return unauthorized('AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
      case 'malformed':
        return unauthorized('AuthenticationFailed', "Authentication failed. The 'Authorization' header is provided in an invalid format.");
      case 'badSignature':
      case 'notYetValid':
        return unauthorized('InvalidAuthenticationToken', 'The access token is invalid.');
      case 'expired':
        return unauthorized(
          'ExpiredAuthenticationToken',
          `The access token expiry UTC time '${new Date(verdict.claims.exp * 1000).toUTCString()}' is earlier than current UTC time '${new Date().toUTCString()}'.`,
        );
      case 'wrongAudience':
        return unauthorized(
          'InvalidAuthenticationTokenAudience',
          `The received access token has been obtained from wrong audience or resource '${verdict.claims.aud}'. ` +
            `It should exactly match with one of the allowed audiences '${flowApiAudience}','${flowApiAudience.replace(/\/$/, '')}'.`,
        );
    }
  }
}

function requireApiVersion(request: EmulatorRequest): EmulatorResponse | undefined {
  const apiVersion = request.url.searchParams.get('api-version');
  if (apiVersion === null || apiVersion === '') {
    return azureError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
  }
  if (apiVersion !== supportedFlowApiVersion) {
    return azureError(
      400,
      'InvalidApiVersionParameter',
      `The api-version '${apiVersion}' is invalid. The supported versions are '${supportedFlowApiVersion}'.`,
    );
  }
  return undefined;
}

function faultMessage(status: number): string {
  if (status === 429) return 'Rate limit is exceeded. Try again later.';
  if (status >= 500) return 'The service encountered an internal error. Please retry the request.';
  return 'The request failed.';
}
