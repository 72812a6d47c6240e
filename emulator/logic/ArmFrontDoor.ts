import { randomUUID } from 'crypto';
import type { AccessTokenAuthority, AccessTokenVerdict } from '../AccessTokenAuthority';
import type { ThrottleSettings } from '../EmulatorOptions';
import { azureError, header, type EmulatorRequest, type EmulatorResponse } from '../EmulatorExchange';
import { TokenBucket } from '../TokenBucket';

/** Audiences ARM accepts besides its own endpoint: the public cloud's two historical resource URIs. */
const publicArmAudiences = ['https://management.azure.com/', 'https://management.core.windows.net/'];

interface ThrottleOutcome {
  readonly counter: 'reads' | 'writes';
  readonly remaining: number;
}

/**
 * The api-versions a resource provider registered for the resource type a request names, and how ARM
 * refuses another one (by default with InvalidApiVersionParameter).
 */
export interface ArmApiVersionPolicy {
  readonly supported: readonly string[];
  readonly unsupported?: (apiVersion: string) => EmulatorResponse;
}

/**
 * What ARM does before a request reaches the resource provider: authenticate the bearer token, require a
 * supported api-version, and throttle per subscription with separate read and write buckets.
 */
export class ArmFrontDoor {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly throttleOutcomes = new WeakMap<EmulatorRequest, ThrottleOutcome>();

  constructor(
    private readonly authority: AccessTokenAuthority,
    private readonly armEndpoint: () => string,
    private readonly writeThrottle: ThrottleSettings,
    private readonly readThrottle: ThrottleSettings,
  ) {}

  /** An error answer when the request must not reach the provider; `undefined` lets it through. */
  admit(request: EmulatorRequest, apiVersions: ArmApiVersionPolicy): EmulatorResponse | undefined {
    const allowedAudiences = [this.armEndpoint(), ...publicArmAudiences];
    const verdict = this.authority.verify(header(request, 'authorization'), allowedAudiences);
    if (verdict.outcome !== 'valid') return this.authenticationFailure(verdict, allowedAudiences);

    const apiVersion = request.url.searchParams.get('api-version');
    if (apiVersion === null || apiVersion === '') {
      return azureError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
    }
    if (!apiVersions.supported.includes(apiVersion)) {
      return (
        apiVersions.unsupported?.(apiVersion) ??
        azureError(
          400,
          'InvalidApiVersionParameter',
          `The api-version '${apiVersion}' is invalid. The supported versions are '${apiVersions.supported.join(',')}'.`,
        )
      );
    }

    const counter = isWrite(request.method) ? 'writes' : 'reads';
    const decision = this.bucket(request, counter).take();
    this.throttleOutcomes.set(request, { counter, remaining: decision.remaining });
    if (!decision.granted) {
      const kind = counter === 'writes' ? 'write' : 'read';
      return azureError(
        429,
        'SubscriptionRequestsThrottled',
        `Number of '${kind}' requests for subscription '${request.subscriptionId ?? ''}' actor '${verdict.claims.oid}' exceeded. ` +
          `Please try again after '${decision.retryAfterSeconds}' seconds after the last request. Please see https://aka.ms/ARMThrottling for default limits.`,
        { headers: { 'retry-after': String(decision.retryAfterSeconds) } },
      );
    }
    return undefined;
  }

  /** ARM's headers on every answer, errors and injected faults included. */
  decorate(request: EmulatorRequest, response: EmulatorResponse): void {
    const requestId = randomUUID();
    const counter = isWrite(request.method) ? 'writes' : 'reads';
    const remaining = this.throttleOutcomes.get(request)?.remaining ?? this.bucket(request, counter).remaining();
    response.headers = {
      'x-ms-request-id': requestId,
      'x-ms-correlation-request-id': header(request, 'x-ms-correlation-request-id') ?? requestId,
      'x-ms-routing-request-id': `WESTEUROPE:${new Date().toISOString().replace(/[-:.]/g, '')}:${requestId}`,
      [`x-ms-ratelimit-remaining-subscription-${counter}`]: String(remaining),
      'cache-control': 'no-cache',
      ...(response.headers ?? {}),
    };
  }

  private bucket(request: EmulatorRequest, counter: 'reads' | 'writes'): TokenBucket {
    const key = `${counter}:${(request.subscriptionId ?? '').toLowerCase()}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(counter === 'writes' ? this.writeThrottle : this.readThrottle);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private authenticationFailure(verdict: Exclude<AccessTokenVerdict, { outcome: 'valid' }>, allowedAudiences: string[]): EmulatorResponse {
    const challenge = (description: string) => ({
      headers: {
        'www-authenticate': `Bearer authorization_uri="https://login.windows.net/${this.authority.tenantId}", error="invalid_token", error_description="${description}"`,
      },
    });
    switch (verdict.outcome) {
      case 'missing':
        return azureError(
          401,
          'AuthenticationFailed',
          "Authentication failed. The 'Authorization' header is missing.",
          challenge("The authentication failed because of missing 'Authorization' header."),
        );
      case 'malformed':
        return azureError(
          401,
          'AuthenticationFailed',
          "Authentication failed. The 'Authorization' header is provided in an invalid format.",
          challenge("The authentication failed because of an invalid 'Authorization' header."),
        );
      case 'badSignature':
      case 'notYetValid':
        return azureError(401, 'InvalidAuthenticationToken', 'The access token is invalid.', challenge('The access token is invalid.'));
      case 'expired':
        return azureError(
          401,
          'ExpiredAuthenticationToken',
          `The access token expiry UTC time '${new Date(verdict.claims.exp * 1000).toUTCString()}' is earlier than current UTC time '${new Date().toUTCString()}'.`,
          challenge('The access token has expired.'),
        );
      case 'wrongAudience': {
        const allowed = allowedAudiences
          .flatMap((audience) => [withSlash(audience), withoutSlash(audience)])
          .map((a) => `'${a}'`)
          .join(',');
        return azureError(
          401,
          'InvalidAuthenticationTokenAudience',
          `The access token has been obtained for wrong audience or resource '${verdict.claims.aud}'. It should exactly match with one of the allowed audiences ${allowed}.`,
          challenge(`The access token has been obtained from wrong audience or resource '${verdict.claims.aud}'.`),
        );
      }
    }
  }
}

function isWrite(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE';
}

function withSlash(audience: string): string {
  return audience.endsWith('/') ? audience : `${audience}/`;
}

function withoutSlash(audience: string): string {
  return audience.replace(/\/+$/, '');
}
