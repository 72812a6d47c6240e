import { randomUUID } from 'crypto';
import type { AccessTokenAuthority } from '../AccessTokenAuthority';
import {
  header,
  jsonResponse,
  type EmulatorRequest,
  type EmulatorResponse,
  type EmulatorServiceHandler,
  type RequestClassification,
} from '../EmulatorExchange';
import type { FaultRule } from '../FaultInjector';

const supportedApiVersion = '2019-08-01';

/** The identity the emulated Function App runs as (its system-assigned managed identity). */
export interface ManagedIdentity {
  readonly clientId: string;
  readonly objectId: string;
}

/**
 * App Service's local token endpoint (IDENTITY_ENDPOINT + IDENTITY_HEADER). MSAL's App Service source sends
 * `GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=<scope without /.default>` with the header
 * `X-IDENTITY-HEADER`, plus `client_id`, `object_id` or `mi_res_id` for a user-assigned identity.
 */
export class ManagedIdentityEndpoint implements EmulatorServiceHandler {
  readonly service = 'identity' as const;

  constructor(
    private readonly authority: AccessTokenAuthority,
    private readonly identityHeader: string,
    private readonly systemAssigned: ManagedIdentity,
  ) {}

  classify(method: string, url: URL): RequestClassification {
    return { operationId: method === 'GET' && url.pathname === '/msi/token' ? 'ManagedIdentityToken' : 'Unknown' };
  }

  handle(request: EmulatorRequest): EmulatorResponse {
    if (request.operationId !== 'ManagedIdentityToken') return identityError(404, 'Not found.');
    if (header(request, 'x-identity-header') !== this.identityHeader) {
      return identityError(401, 'The X-IDENTITY-HEADER header is missing or does not match the identity header of this app.');
    }
    const query = request.url.searchParams;
    const apiVersion = query.get('api-version');
    if (apiVersion !== supportedApiVersion) {
      return identityError(400, `The api-version '${apiVersion ?? ''}' is not supported. Use '${supportedApiVersion}'.`);
    }
    const resource = query.get('resource');
    if (!resource) return identityError(400, "The 'resource' query parameter is required.");

    // A user-assigned identity is selected by any one of these; the emulator lets every requested one exist.
    const clientId = query.get('client_id') ?? query.get('clientid') ?? this.systemAssigned.clientId;
    const objectId = query.get('object_id') ?? query.get('principal_id') ?? this.systemAssigned.objectId;
    const issued = this.authority.issue({ resource, clientId, objectId });
    return jsonResponse(200, {
      access_token: issued.token,
      expires_on: String(issued.claims.exp),
      resource: issued.claims.aud,
      token_type: 'Bearer',
      client_id: clientId,
    });
  }

  faultResponse(_request: EmulatorRequest, fault: FaultRule): EmulatorResponse {
    const status = fault.status ?? 500;
    const response = identityError(status, fault.message ?? 'The managed identity endpoint failed to process the request.');
    if (fault.retryAfterSeconds !== undefined) response.headers = { 'retry-after': String(fault.retryAfterSeconds) };
    return response;
  }
}

/** App Service's error body: MSAL turns `message` into the error description it throws. */
function identityError(status: number, message: string): EmulatorResponse {
  return jsonResponse(status, { statusCode: status, message, correlationId: randomUUID() });
}
