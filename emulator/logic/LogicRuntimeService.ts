import { randomUUID } from 'crypto';
import { defaultErrorCode, jsonResponse, type EmulatorRequest, type EmulatorResponse, type EmulatorServiceHandler, type RequestClassification } from '../EmulatorExchange';
import type { FaultRule } from '../FaultInjector';
import type { LogicWorkflowsState } from './LogicWorkflowsState';

/**
 * The Logic Apps runtime endpoint that callback URLs point at. It authenticates only by the URL's SAS
 * (no bearer token), and a Request trigger without a Response action answers 202 Accepted.
 */
export class LogicRuntimeService implements EmulatorServiceHandler {
  readonly service = 'logicRuntime' as const;

  constructor(private readonly state: LogicWorkflowsState) {}

  classify(method: string, url: URL): RequestClassification {
    const invoke = /^\/workflows\/[^/]+(?:\/versions\/[^/]+)?\/triggers\/[^/]+\/paths\/invoke$/i.test(url.pathname);
    return { operationId: invoke && method === 'POST' ? 'InvokeTrigger' : 'Unknown' };
  }

  handle(request: EmulatorRequest): EmulatorResponse {
    if (request.operationId !== 'InvokeTrigger') {
      return runtimeError(404, 'InvalidRequestPath', `The request path '${request.url.pathname}' is not valid.`);
    }
    const query = request.url.searchParams;
    if (!query.get('sig')) {
      return runtimeError(401, 'DirectApiAuthorizationRequired', 'The request must be authenticated only by Shared Access scheme.');
    }
    const verdict = this.state.verifyCallbackUrl(request.url);
    if (!verdict.valid) {
      if (verdict.reason === 'expired') return runtimeError(401, 'DirectApiRequestExpired', 'The request has expired.');
      return runtimeError(401, 'DirectApiInvalidAuthorizationSignature', 'The provided authorization signature is not valid.');
    }
    if (verdict.workflow.state !== 'Enabled') {
      return runtimeError(409, 'WorkflowDisabled', `The workflow '${verdict.workflow.name}' cannot be triggered because it is disabled.`);
    }
    return { status: 202, headers: { 'x-ms-workflow-run-id': randomUUID().replace(/-/g, ''), 'x-ms-workflow-name': verdict.workflow.name } };
  }

  faultResponse(_request: EmulatorRequest, fault: FaultRule): EmulatorResponse {
    const status = fault.status ?? 500;
    const response = runtimeError(status, fault.errorCode ?? defaultErrorCode(status), fault.message ?? 'The workflow runtime failed to process the request.');
    if (fault.retryAfterSeconds !== undefined) response.headers = { 'retry-after': String(fault.retryAfterSeconds) };
    return response;
  }
}

function runtimeError(status: number, code: string, message: string): EmulatorResponse {
  return jsonResponse(status, { error: { code, message } });
}
