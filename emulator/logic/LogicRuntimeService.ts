import { randomUUID } from 'crypto';
import {
  azureError,
  defaultErrorCode,
  header,
  type EmulatorRequest,
  type EmulatorResponse,
  type EmulatorServiceHandler,
  type RequestClassification,
} from '../EmulatorExchange';
import type { AccessTokenAuthority } from '../AccessTokenAuthority';
import type { FaultRule } from '../FaultInjector';
import type { CallbackUrlCheck, InvocationTarget } from './callbackUrls';

/** The invoke paths of every host: Consumption and classic flows, newer flows, Standard (behind its `/sites/{app}` prefix). */
const invokePaths = [
  /^\/workflows\/[^/]+(?:\/versions\/[^/]+)?\/triggers\/[^/]+\/paths\/invoke$/i,
  /^\/powerautomate\/automations\/direct\/workflows\/[^/]+\/triggers\/[^/]+\/paths\/invoke$/i,
  /^\/sites\/[^/]+\/api\/[^/]+\/triggers\/[^/]+\/invoke$/i,
];
/** Who may call an OAuth-only flow trigger: bearer tokens for the Flow service. */
const flowAudiences = ['https://service.flow.microsoft.com/'];

/**
 * The Logic Apps runtime endpoint that callback URLs point at (Consumption, Standard and Power Automate alike).
 * It authenticates only by the URL's SAS (no bearer token), except for a flow trigger restricted to OAuth
 * callers, which takes only a bearer token; a Request trigger without a Response action answers 202 Accepted.
 */
export class LogicRuntimeService implements EmulatorServiceHandler {
  readonly service = 'logicRuntime' as const;

  /**
   * @param oracle what the runtime makes of a callback URL, whichever host handed it out.
   * @param authority checks bearer tokens sent to OAuth-only flow triggers (refused without it).
   */
  constructor(
    private readonly oracle: { checkCallbackUrl(url: URL): CallbackUrlCheck },
    private readonly authority?: AccessTokenAuthority,
  ) {}

  classify(method: string, url: URL): RequestClassification {
    const invoke = invokePaths.some((pattern) => pattern.test(url.pathname));
    return { operationId: invoke && method === 'POST' ? 'InvokeTrigger' : 'Unknown' };
  }

  handle(request: EmulatorRequest): EmulatorResponse {
    if (request.operationId !== 'InvokeTrigger') {
      return azureError(404, 'InvalidRequestPath', `The request path '${request.url.pathname}' is not valid.`);
    }
    const verdict = this.oracle.checkCallbackUrl(request.url);
    if (!verdict.valid && verdict.reason === 'oauthRequired') return this.invokeWithBearer(request, verdict.target);
    if (!request.url.searchParams.get('sig')) {
      return azureError(401, 'DirectApiAuthorizationRequired', 'The request must be authenticated only by Shared Access scheme.');
    }
    if (!verdict.valid) {
      if (verdict.reason === 'expired') return azureError(401, 'DirectApiRequestExpired', 'The request has expired.');
      return azureError(401, 'DirectApiInvalidAuthorizationSignature', 'The provided authorization signature is not valid.');
    }
    return started(verdict.target);
  }

  /** An OAuth-only flow trigger: a bearer token for the Flow service, and never a SAS. */
  private invokeWithBearer(request: EmulatorRequest, target: InvocationTarget): EmulatorResponse {
    if (request.url.searchParams.get('sig')) {
      return azureError(
        401,
        'DirectApiAuthorizationRequired',
        'The request must be authenticated only by OAuth: this trigger does not accept a Shared Access signature.',
      );
    }
    const verdict = this.authority?.verify(header(request, 'authorization'), flowAudiences);
    if (verdict?.outcome !== 'valid') {
      return azureError(
        401,
        'DirectApiAuthorizationRequired',
        'The request must be authenticated by OAuth with a bearer token for https://service.flow.microsoft.com/.',
      );
    }
    return started(target);
  }

  faultResponse(_request: EmulatorRequest, fault: FaultRule): EmulatorResponse {
    const status = fault.status ?? 500;
    const response = azureError(
      status,
      fault.errorCode ?? defaultErrorCode(status),
      fault.message ?? 'The workflow runtime failed to process the request.',
    );
    if (fault.retryAfterSeconds !== undefined) response.headers = { 'retry-after': String(fault.retryAfterSeconds) };
    return response;
  }
}

function started(target: InvocationTarget): EmulatorResponse {
  if (!target.enabled) {
    return azureError(409, 'WorkflowDisabled', `The workflow '${target.name}' cannot be triggered because it is disabled.`);
  }
  return { status: 202, headers: { 'x-ms-workflow-run-id': randomUUID().replace(/-/g, ''), 'x-ms-workflow-name': target.name } };
}
