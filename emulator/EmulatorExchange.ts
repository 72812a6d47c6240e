import type { IncomingHttpHeaders } from 'http';
import type { FaultRule } from './FaultInjector';
import type { EmulatorService } from './EmulatorService';

/** A request as a service handler sees it: body already read and decompressed. */
export interface EmulatorRequest {
  readonly method: string;
  /** Absolute, on the service's own origin. */
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly operationId: string;
  readonly subscriptionId?: string;
}

/** An answer not yet written, so that a fault can replace it after the operation ran. */
export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON unless it is a string or a Buffer; absent means an empty body. */
  body?: unknown;
}

export interface RequestClassification {
  readonly operationId: string;
  readonly subscriptionId?: string;
}

/** What each emulated service plugs into the shared server. */
export interface EmulatorServiceHandler {
  readonly service: EmulatorService;
  classify(method: string, url: URL): RequestClassification;
  handle(request: EmulatorRequest): Promise<EmulatorResponse> | EmulatorResponse;
  /** An injected fault, in the service's own error shape and codes. */
  faultResponse(request: EmulatorRequest, fault: FaultRule): EmulatorResponse;
  /** Headers the service puts on every answer (request ids, rate-limit counters). */
  decorate?(request: EmulatorRequest, response: EmulatorResponse): void;
}

export function jsonResponse(status: number, body: unknown, headers?: Record<string, string>): EmulatorResponse {
  return headers ? { status, body, headers } : { status, body };
}

/**
 * The error body Azure's front ends share: ARM's ErrorResponse, the Flow service's and the Logic Apps runtime's
 * `{ "error": { "code", "message" } }`; Key Vault's KeyVaultError adds `innererror.code` (a 409's reason).
 */
export function azureError(
  status: number,
  code: string,
  message: string,
  options: { readonly headers?: Record<string, string> | undefined; readonly innerErrorCode?: string | undefined } = {},
): EmulatorResponse {
  const innerError = options.innerErrorCode !== undefined ? { innererror: { code: options.innerErrorCode } } : {};
  return jsonResponse(status, { error: { code, message, ...innerError } }, options.headers);
}

export function header(request: EmulatorRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Parses a JSON body; `undefined` for an empty one, a thrown SyntaxError for a malformed one. */
export function parseJsonBody(request: EmulatorRequest): unknown {
  const text = request.body.toString('utf8').trim();
  return text === '' ? undefined : JSON.parse(text);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A body that must be a JSON object: what a service answers to one that is not JSON, and to one that is not an object (or empty). */
export interface JsonObjectRefusals {
  readonly notJson: () => EmulatorResponse;
  readonly notObject: () => EmulatorResponse;
}

/** The request's JSON object body, or the rejection `refusals` answers. */
export function jsonObjectBody(request: EmulatorRequest, refusals: JsonObjectRefusals): Record<string, unknown> | Rejection {
  let body: unknown;
  try {
    body = parseJsonBody(request);
  } catch {
    return new Rejection(refusals.notJson());
  }
  if (!isPlainObject(body)) return new Rejection(refusals.notObject());
  return body;
}

/** The reason phrases Azure front ends use in default error messages. */
export function defaultErrorCode(status: number): string {
  switch (status) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 408:
      return 'RequestTimeout';
    case 409:
      return 'Conflict';
    case 429:
      return 'TooManyRequests';
    case 500:
      return 'InternalServerError';
    case 502:
      return 'BadGateway';
    case 503:
      return 'ServiceUnavailable';
    case 504:
      return 'GatewayTimeout';
    default:
      return status >= 500 ? 'InternalServerError' : 'BadRequest';
  }
}

/** A request refused while parsing it; a class so that it can never be mistaken for parsed client data. */
export class Rejection {
  constructor(readonly response: EmulatorResponse) {}
}

/** Whether a path segment names `name`: ARM and the Flow service match paths without regard to case. */
export function isSegment(segment: string | undefined, name: string): boolean {
  return segment?.toLowerCase() === name.toLowerCase();
}

/** Decodes a path segment; a malformed escape is kept as sent, so that it reaches the handler as a 400/404 instead of a crash. */
export function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
