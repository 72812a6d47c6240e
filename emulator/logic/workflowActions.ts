import {
  azureError,
  isPlainObject,
  jsonResponse,
  parseJsonBody,
  Rejection,
  type EmulatorRequest,
  type EmulatorResponse,
} from '../EmulatorExchange';
import type { CallbackUrl } from './callbackUrls';
import { parseWorkflowKeyType, type WorkflowKeyType } from './WorkflowKeyType';
import type { WorkflowTrigger } from './WorkflowTrigger';

/**
 * The key actions a workflow's management API offers, Microsoft.Logic's and Standard's alike (the Flow API
 * answers the same trigger errors): regenerateAccessKey and listCallbackUrl, the bodies they read and the
 * errors they answer.
 */

/** regenerateAccessKey: `{"keyType": "Primary"|"Secondary"}` is required; a 200 without a body once done. */
export function regenerateAccessKey(request: EmulatorRequest, regenerate: (keyType: WorkflowKeyType) => void): EmulatorResponse {
  const keyType = requestedKeyType(request);
  if (keyType instanceof Rejection) return keyType.response;
  regenerate(keyType);
  return { status: 200 };
}

/**
 * A trigger's listCallbackUrl: the URL `sign` makes with the key (and expiry) the body asks for, or why there is
 * none. The body is read before the trigger's type is checked, as the service does.
 */
export function listTriggerCallbackUrl(
  request: EmulatorRequest,
  trigger: WorkflowTrigger,
  sign: (keyType: WorkflowKeyType, options: { notAfter?: Date }) => CallbackUrl,
): EmulatorResponse {
  const parameters = callbackUrlParameters(request);
  if (parameters instanceof Rejection) return parameters.response;
  const notSupported = requireRequestTrigger(trigger);
  if (notSupported) return notSupported;
  return jsonResponse(200, callbackUrlBody(sign(parameters.keyType, parameters.notAfter ? { notAfter: parameters.notAfter } : {})));
}

/**
 * `{keyType?, notAfter?}`, optional for every listCallbackUrl variant: Microsoft Learn documents the trigger
 * action with `{"keyType": ...}`, the SDK sends it without a body. No key type (or NotSpecified) means Primary.
 */
export function callbackUrlParameters(request: EmulatorRequest): { keyType: WorkflowKeyType; notAfter?: Date } | Rejection {
  let body: unknown;
  try {
    body = parseJsonBody(request);
  } catch (error) {
    return new Rejection(invalidRequestContent(error));
  }
  if (body === undefined || body === null) return { keyType: 'Primary' };
  if (!isPlainObject(body))
    return new Rejection(
      azureError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized: expected a JSON object.'),
    );
  const requested = body['keyType'];
  let keyType: WorkflowKeyType = 'Primary';
  if (requested !== undefined && requested !== null && String(requested).toLowerCase() !== 'notspecified') {
    const parsed = parseWorkflowKeyType(requested);
    if (!parsed) return new Rejection(unsupportedKeyType(requested));
    keyType = parsed;
  }
  const notAfterValue = body['notAfter'];
  if (notAfterValue === undefined || notAfterValue === null) return { keyType };
  const notAfter = new Date(String(notAfterValue));
  if (Number.isNaN(notAfter.getTime())) {
    return new Rejection(
      azureError(
        400,
        'InvalidRequestContent',
        `The request content was invalid and could not be deserialized: 'notAfter' value '${String(notAfterValue)}' is not a valid date-time.`,
      ),
    );
  }
  return { keyType, notAfter };
}

/** The WorkflowTriggerCallbackUrl body listCallbackUrl answers with (a workflow-level one reports the access endpoint as basePath). */
export function callbackUrlBody(
  callbackUrl: Pick<CallbackUrl, 'value' | 'basePath'> & { readonly queries: object },
  basePath = callbackUrl.basePath,
): Record<string, unknown> {
  return { value: callbackUrl.value, method: 'POST', basePath, queries: callbackUrl.queries };
}

export function triggerNotFound(workflowName: string, triggerName: string): EmulatorResponse {
  return azureError(404, 'WorkflowTriggerNotFound', `The workflow '${workflowName}' trigger '${triggerName}' could not be found.`);
}

/** Only a Request trigger has a callback URL. */
export function requireRequestTrigger(trigger: WorkflowTrigger): EmulatorResponse | undefined {
  if (trigger.kind === 'Request') return undefined;
  return azureError(400, 'ApiNotSupported', `The 'ListCallbackUrl' API is not supported by triggers of type '${trigger.kind}'.`);
}

/** The `{"keyType": ...}` body of regenerateAccessKey. */
function requestedKeyType(request: EmulatorRequest): WorkflowKeyType | Rejection {
  let body: unknown;
  try {
    body = parseJsonBody(request);
  } catch (error) {
    return new Rejection(invalidRequestContent(error));
  }
  const requested = isPlainObject(body) ? body['keyType'] : undefined;
  if (requested === undefined) {
    return new Rejection(
      azureError(
        400,
        'InvalidRequestContent',
        "The request content must contain the property 'keyType' with the value 'Primary' or 'Secondary'.",
      ),
    );
  }
  return parseWorkflowKeyType(requested) ?? new Rejection(unsupportedKeyType(requested));
}

function unsupportedKeyType(requested: unknown): EmulatorResponse {
  return azureError(
    400,
    'InvalidKeyType',
    `The key type '${String(requested)}' is not supported. The supported key types are 'Primary' and 'Secondary'.`,
  );
}

function invalidRequestContent(error: unknown): EmulatorResponse {
  const detail = error instanceof Error ? error.message : String(error);
  return azureError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: '${detail}'.`);
}
