import { randomUUID } from 'crypto';
import type { AccessTokenAuthority } from '../AccessTokenAuthority';
import {
  azureError,
  decodePathSegment,
  defaultErrorCode,
  header,
  isPlainObject,
  jsonResponse,
  jsonObjectBody,
  Rejection,
  type EmulatorRequest,
  type EmulatorResponse,
  type EmulatorServiceHandler,
  type JsonObjectRefusals,
  type RequestClassification,
} from '../EmulatorExchange';
import type { KeyVaultThrottleSettings } from '../EmulatorOptions';
import type { FaultRule } from '../FaultInjector';
import { TokenBucket } from '../TokenBucket';
import type { DeletedSecretRecord, KeyVaultState, StoredSecretVersion } from './KeyVaultState';

/** Every version @azure/keyvault-secrets can send (`serviceVersion`); 4.11.x defaults to 2025-07-01. */
const supportedApiVersions = ['7.0', '7.1', '7.2', '7.3', '7.4', '7.5', '7.6-preview.2', '7.6', '2025-07-01'];
const latestApiVersion = '2025-07-01';
const keyVaultAudience = 'https://vault.azure.net';
const secretNamePattern = /^[0-9a-zA-Z-]{1,127}$/;
/** Key Vault's documented limits: 15 tags, 512-character names, 256-character values, 25 KB values. */
const maxTags = 15;
const maxTagNameLength = 512;
const maxTagValueLength = 256;
const maxSecretValueBytes = 25 * 1024;
const maxPageSize = 25;
/** Key Vault's answer past its limits, as captured from a real vault (vcsjones/AzureSignTool#219). */
const throttledMessage = 'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached';

interface SecretRoute {
  readonly operationId: string;
  readonly name?: string;
  readonly version?: string;
}

function route(method: string, pathname: string): SecretRoute {
  const segments = pathname.split('/').slice(1).map(decodePathSegment);
  const [collection, name, version, extra] = segments;
  if (collection?.toLowerCase() === 'deletedsecrets') return deletedSecretRoute(method, name, version, extra);
  if (collection?.toLowerCase() !== 'secrets' || extra !== undefined) return { operationId: 'Unknown' };
  if (name === undefined || name === '')
    return method === 'GET' && version === undefined ? { operationId: 'GetSecrets' } : { operationId: 'Unknown' };
  if (version === undefined) {
    if (method === 'PUT') return { operationId: 'SetSecret', name };
    if (method === 'GET') return { operationId: 'GetSecret', name, version: '' };
    if (method === 'DELETE') return { operationId: 'DeleteSecret', name };
    return { operationId: 'Unknown', name };
  }
  if (method === 'GET' && version.toLowerCase() === 'versions') return { operationId: 'GetSecretVersions', name };
  if (method === 'GET') return { operationId: 'GetSecret', name, version };
  if (method === 'PATCH') return { operationId: 'UpdateSecret', name, version };
  return { operationId: 'Unknown', name };
}

/** `/deletedsecrets[/{name}[/recover]]`: the soft-delete operations. */
function deletedSecretRoute(method: string, name: string | undefined, action: string | undefined, extra: string | undefined): SecretRoute {
  if (extra !== undefined) return { operationId: 'Unknown' };
  if (name === undefined || name === '')
    return method === 'GET' && action === undefined ? { operationId: 'GetDeletedSecrets' } : { operationId: 'Unknown' };
  if (action === undefined) {
    if (method === 'GET') return { operationId: 'GetDeletedSecret', name };
    if (method === 'DELETE') return { operationId: 'PurgeDeletedSecret', name };
    return { operationId: 'Unknown', name };
  }
  if (method === 'POST' && action.toLowerCase() === 'recover') return { operationId: 'RecoverDeletedSecret', name };
  return { operationId: 'Unknown', name };
}

/** Key Vault's secrets data plane (the operations sas-rotator and its consumers use). */
export class KeyVaultService implements EmulatorServiceHandler {
  readonly service = 'keyVault' as const;
  /** One vault per emulator, so one pair of buckets: CREATE secret, and every other transaction. */
  private readonly buckets: { readonly create: TokenBucket; readonly other: TokenBucket } | undefined;

  constructor(
    private readonly state: KeyVaultState,
    private readonly authority: AccessTokenAuthority,
    /** `https://127.0.0.1:PORT/`, the vault URI secret identifiers start with. */
    private readonly vaultUri: () => string,
    /** The vault's secret transaction limits; `false`: none. */
    private readonly throttle: KeyVaultThrottleSettings | false = false,
  ) {
    this.buckets = throttle ? { create: new TokenBucket(throttle.create), other: new TokenBucket(throttle.other) } : undefined;
  }

  classify(method: string, url: URL): RequestClassification {
    return { operationId: route(method, url.pathname).operationId };
  }

  handle(request: EmulatorRequest): EmulatorResponse {
    // Authentication comes first: the SDK's first request is a body-less probe that must earn the challenge.
    const unauthorized = this.authenticate(request);
    if (unauthorized) return unauthorized;
    const apiVersion = request.url.searchParams.get('api-version');
    if (!apiVersion || !supportedApiVersions.includes(apiVersion)) {
      return azureError(
        400,
        'BadParameter',
        apiVersion
          ? `The specified version (${apiVersion}) is not recognized. Consider using the latest supported version (${latestApiVersion}).`
          : "The 'api-version' query parameter is missing.",
      );
    }
    const secretRoute = route(request.method, request.url.pathname);
    if (secretRoute.operationId === 'Unknown')
      return azureError(404, 'NotFound', `The requested resource '${request.url.pathname}' was not found.`);
    if (secretRoute.name !== undefined && !secretNamePattern.test(secretRoute.name)) {
      return azureError(400, 'BadParameter', `The request URI contains an invalid name: ${secretRoute.name}`);
    }
    const throttled = this.admit(secretRoute.operationId);
    if (throttled) return throttled;
    switch (secretRoute.operationId) {
      case 'SetSecret':
        return this.setSecret(request, secretRoute.name ?? '');
      case 'GetSecret':
        return this.getSecret(secretRoute.name ?? '', secretRoute.version ?? '');
      case 'UpdateSecret':
        return this.updateSecret(request, secretRoute.name ?? '', secretRoute.version ?? '');
      case 'GetSecretVersions':
        return this.listVersions(request, secretRoute.name ?? '');
      case 'DeleteSecret':
        return this.deleteSecret(secretRoute.name ?? '');
      case 'GetDeletedSecret':
        return this.getDeletedSecret(secretRoute.name ?? '');
      case 'RecoverDeletedSecret':
        return this.recoverDeletedSecret(secretRoute.name ?? '');
      case 'PurgeDeletedSecret':
        return this.purgeDeletedSecret(secretRoute.name ?? '');
      case 'GetDeletedSecrets':
        return this.listDeletedSecrets(request);
      default:
        return this.listSecrets(request);
    }
  }

  faultResponse(_request: EmulatorRequest, fault: FaultRule): EmulatorResponse {
    const status = fault.status ?? 500;
    const code = fault.errorCode ?? (status === 429 ? 'Throttled' : defaultErrorCode(status));
    const message =
      fault.message ??
      (status === 429
        ? 'Request was not processed because too many requests were received. Reason: A maximum of 4000 Secret transactions may be made in 10 seconds.'
        : 'The service is temporarily unable to process the request.');
    const retryAfter = fault.retryAfterSeconds ?? (status === 429 ? 1 : undefined);
    return azureError(status, code, message, { headers: retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : undefined });
  }

  decorate(_request: EmulatorRequest, response: EmulatorResponse): void {
    response.headers = {
      'x-ms-request-id': randomUUID(),
      'x-ms-keyvault-region': 'westeurope',
      'x-ms-keyvault-service-version': '1.9.0.0',
      'x-ms-keyvault-network-info': 'conn_type=Ipv4;addr=127.0.0.1;act_addr_fam=InterNetwork;',
      'cache-control': 'no-cache',
      ...(response.headers ?? {}),
    };
  }

  /**
   * Takes a token from the operation's bucket, or answers 429 Throttled. A refused request takes
   * none: "Failed requests that return a 429 do not count towards the throttle limits" (Learn, "Azure
   * Key Vault throttling guidance"). Unauthenticated probes never get here.
   */
  private admit(operationId: string): EmulatorResponse | undefined {
    if (!this.buckets || !this.throttle) return undefined;
    const decision = (operationId === 'SetSecret' ? this.buckets.create : this.buckets.other).take();
    if (decision.granted) return undefined;
    const retryAfter = this.throttle.retryAfter === false ? undefined : { 'retry-after': String(decision.retryAfterSeconds) };
    return azureError(429, 'Throttled', throttledMessage, retryAfter ? { headers: retryAfter } : undefined);
  }

  private authenticate(request: EmulatorRequest): EmulatorResponse | undefined {
    const verdict = this.authority.verify(header(request, 'authorization'), [keyVaultAudience]);
    const challenge = {
      headers: {
        'www-authenticate': `Bearer authorization="https://login.microsoft.com/${this.authority.tenantId}", resource="${keyVaultAudience}"`,
      },
    };
    const unauthorized = (message: string) => azureError(401, 'Unauthorized', message, challenge);
    switch (verdict.outcome) {
      case 'valid':
        return undefined;
      case 'missing':
        return unauthorized('AKV10000: Request is missing a Bearer or PoP token.');
      case 'wrongAudience':
        return unauthorized(`AKV10022: Invalid audience. Expected ${keyVaultAudience}, found: ${verdict.claims.aud}.`);
      case 'expired':
        return unauthorized('AKV10012: Token has expired.');
      default:
        return unauthorized('AKV10046: The token is malformed or its signature is invalid.');
    }
  }

  private setSecret(request: EmulatorRequest, name: string): EmulatorResponse {
    const body = jsonObjectBody(request, bodyRefusals);
    if (body instanceof Rejection) return body.response;
    const value = body['value'];
    if (typeof value !== 'string') return azureError(400, 'BadParameter', "Property 'value' is required and must be a string.");
    if (Buffer.byteLength(value, 'utf8') > maxSecretValueBytes) {
      return azureError(400, 'BadParameter', `The secret value exceeds the maximum size of ${maxSecretValueBytes} bytes.`);
    }
    const properties = secretProperties(body);
    if (properties instanceof Rejection) return properties.response;
    if (this.state.deleted(name)) {
      // Azure keeps a soft-deleted name reserved: a write is refused until the secret is recovered or purged.
      return azureError(
        409,
        'Conflict',
        `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
        { innerErrorCode: 'ObjectIsDeletedButRecoverable' },
      );
    }
    const stored = this.state.setSecret(name, { value, ...properties });
    return jsonResponse(200, this.secretBundle(name, stored, true));
  }

  private getSecret(name: string, version: string): EmulatorResponse {
    const stored = this.state.find(name, version);
    if (!stored) return secretNotFound(name, version);
    if (!stored.enabled) return azureError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.');
    return jsonResponse(200, this.secretBundle(name, stored, true));
  }

  private updateSecret(request: EmulatorRequest, name: string, version: string): EmulatorResponse {
    const body = jsonObjectBody(request, bodyRefusals);
    if (body instanceof Rejection) return body.response;
    const properties = secretProperties(body);
    if (properties instanceof Rejection) return properties.response;
    const updated = this.state.updateVersion(name, version, properties);
    if (!updated) return secretNotFound(name, version);
    return jsonResponse(200, this.secretBundle(name, updated, false));
  }

  private listVersions(request: EmulatorRequest, name: string): EmulatorResponse {
    const versions = this.state.versions(name);
    if (versions.length === 0) return secretNotFound(name, '');
    return this.page(
      request,
      versions.map((stored) => this.secretItem(name, stored, true)),
    );
  }

  private deleteSecret(name: string): EmulatorResponse {
    const deleted = this.state.deleteSecret(name);
    if (!deleted) return secretNotFound(name, '');
    return jsonResponse(200, this.deletedSecretBundle(deleted));
  }

  private getDeletedSecret(name: string): EmulatorResponse {
    const deleted = this.state.deleted(name);
    if (!deleted) return azureError(404, 'SecretNotFound', 'Deleted Secret not found');
    return jsonResponse(200, this.deletedSecretBundle(deleted));
  }

  private recoverDeletedSecret(name: string): EmulatorResponse {
    const recovered = this.state.recover(name);
    if (!recovered) return azureError(404, 'SecretNotFound', 'Deleted Secret not found');
    return jsonResponse(200, this.secretBundle(name, recovered, false));
  }

  private purgeDeletedSecret(name: string): EmulatorResponse {
    if (!this.state.purge(name)) return azureError(404, 'SecretNotFound', 'Deleted Secret not found');
    return { status: 204 };
  }

  private listDeletedSecrets(request: EmulatorRequest): EmulatorResponse {
    const items = this.state.deletedNames().flatMap((name) => {
      const deleted = this.state.deleted(name);
      if (!deleted) return [];
      return [{ ...this.deletedSecretBundle(deleted), id: `${this.vaultUri()}secrets/${deleted.name}` }];
    });
    return this.page(request, items);
  }

  /** DeletedSecretBundle: the latest version's properties (never the value) plus the recovery fields, dates in unix seconds. */
  private deletedSecretBundle(deleted: DeletedSecretRecord): Record<string, unknown> {
    const latest = deleted.versions.at(-1) as StoredSecretVersion;
    return {
      recoveryId: `${this.vaultUri()}deletedsecrets/${deleted.name}`,
      deletedDate: unixSeconds(deleted.deletedDate),
      scheduledPurgeDate: unixSeconds(deleted.scheduledPurgeDate),
      id: `${this.vaultUri()}secrets/${deleted.name}/${latest.version}`,
      ...(latest.contentType !== undefined ? { contentType: latest.contentType } : {}),
      attributes: secretAttributes(latest),
      ...(Object.keys(latest.tags).length > 0 ? { tags: { ...latest.tags } } : {}),
    };
  }

  private listSecrets(request: EmulatorRequest): EmulatorResponse {
    const items = this.state.names().flatMap((name) => {
      const latest = this.state.latest(name);
      return latest ? [this.secretItem(name, latest, false)] : [];
    });
    return this.page(request, items);
  }

  private page(request: EmulatorRequest, items: Record<string, unknown>[]): EmulatorResponse {
    const maxResultsText = request.url.searchParams.get('maxresults');
    const maxResults = maxResultsText === null ? maxPageSize : Number(maxResultsText);
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > maxPageSize) {
      return azureError(400, 'BadParameter', `The value of maxresults must be between 1 and ${maxPageSize}.`);
    }
    const skipToken = request.url.searchParams.get('$skiptoken');
    const offset = skipToken ? Number.parseInt(Buffer.from(skipToken, 'base64url').toString('utf8'), 10) || 0 : 0;
    let nextLink: string | null = null;
    if (offset + maxResults < items.length) {
      const next = new URL(request.url.pathname.replace(/^\//, ''), this.vaultUri());
      next.searchParams.set('api-version', request.url.searchParams.get('api-version') ?? latestApiVersion);
      next.searchParams.set('$skiptoken', Buffer.from(String(offset + maxResults), 'utf8').toString('base64url'));
      next.searchParams.set('maxresults', String(maxResults));
      nextLink = next.toString();
    }
    return jsonResponse(200, { value: items.slice(offset, offset + maxResults), nextLink });
  }

  private secretBundle(name: string, stored: StoredSecretVersion, withValue: boolean): Record<string, unknown> {
    return {
      ...(withValue ? { value: stored.value } : {}),
      id: `${this.vaultUri()}secrets/${this.state.storedName(name) ?? name}/${stored.version}`,
      ...(stored.contentType !== undefined ? { contentType: stored.contentType } : {}),
      attributes: secretAttributes(stored),
      ...(Object.keys(stored.tags).length > 0 ? { tags: { ...stored.tags } } : {}),
    };
  }

  private secretItem(name: string, stored: StoredSecretVersion, versioned: boolean): Record<string, unknown> {
    const storedName = this.state.storedName(name) ?? name;
    return {
      id: `${this.vaultUri()}secrets/${storedName}${versioned ? `/${stored.version}` : ''}`,
      attributes: secretAttributes(stored),
      ...(Object.keys(stored.tags).length > 0 ? { tags: { ...stored.tags } } : {}),
      ...(stored.contentType !== undefined ? { contentType: stored.contentType } : {}),
    };
  }
}

/** SecretAttributes: dates in unix seconds; a soft-delete vault (the default) reports its recovery level. */
function secretAttributes(stored: StoredSecretVersion): Record<string, unknown> {
  return {
    enabled: stored.enabled,
    ...(stored.notBefore ? { nbf: unixSeconds(stored.notBefore) } : {}),
    ...(stored.expiresOn ? { exp: unixSeconds(stored.expiresOn) } : {}),
    created: unixSeconds(stored.created),
    updated: unixSeconds(stored.updated),
    recoveryLevel: 'Recoverable+Purgeable',
    recoverableDays: 90,
  };
}

type SecretProperties = { contentType?: string; tags?: Record<string, string>; enabled?: boolean; expiresOn?: Date; notBefore?: Date };

/** contentType, tags and attributes, shared by SecretSetParameters and SecretUpdateParameters. */
function secretProperties(body: Record<string, unknown>): SecretProperties | Rejection {
  const properties: SecretProperties = {};
  const contentType = body['contentType'];
  if (contentType !== undefined && contentType !== null) {
    if (typeof contentType !== 'string') return new Rejection(azureError(400, 'BadParameter', "Property 'contentType' must be a string."));
    properties.contentType = contentType;
  }
  const tags = body['tags'];
  if (tags !== undefined && tags !== null) {
    if (!isPlainObject(tags)) return new Rejection(azureError(400, 'BadParameter', "Property 'tags' must be an object of strings."));
    const entries = Object.entries(tags);
    if (entries.length > maxTags)
      return new Rejection(azureError(400, 'BadParameter', `The number of tags (${entries.length}) exceeds the maximum of ${maxTags}.`));
    for (const [tagName, tagValue] of entries) {
      if (tagName.length > maxTagNameLength)
        return new Rejection(
          azureError(
            400,
            'BadParameter',
            `Tag name '${tagName.slice(0, 32)}...' exceeds the maximum length of ${maxTagNameLength} characters.`,
          ),
        );
      if (typeof tagValue !== 'string')
        return new Rejection(azureError(400, 'BadParameter', `The value of tag '${tagName}' must be a string.`));
      if (tagValue.length > maxTagValueLength)
        return new Rejection(
          azureError(400, 'BadParameter', `The value of tag '${tagName}' exceeds the maximum length of ${maxTagValueLength} characters.`),
        );
    }
    properties.tags = tags as Record<string, string>;
  }
  const attributes = body['attributes'];
  if (attributes !== undefined && attributes !== null) {
    if (!isPlainObject(attributes)) return new Rejection(azureError(400, 'BadParameter', "Property 'attributes' must be an object."));
    const { enabled, nbf, exp } = attributes;
    if (enabled !== undefined && enabled !== null) {
      if (typeof enabled !== 'boolean') return new Rejection(azureError(400, 'BadParameter', "Attribute 'enabled' must be a boolean."));
      properties.enabled = enabled;
    }
    for (const [attribute, value] of [
      ['nbf', nbf],
      ['exp', exp],
    ] as const) {
      if (value === undefined || value === null) continue;
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        return new Rejection(
          azureError(400, 'BadParameter', `Attribute '${attribute}' must be a date in seconds since 1970-01-01T00:00:00Z.`),
        );
      }
      const date = new Date(value * 1000);
      if (attribute === 'nbf') properties.notBefore = date;
      else properties.expiresOn = date;
    }
  }
  return properties;
}

/** Key Vault's refusals of a body that is not a JSON object. */
const bodyRefusals: JsonObjectRefusals = {
  notJson: () => azureError(400, 'BadParameter', 'The request body is not valid JSON.'),
  notObject: () => azureError(400, 'BadParameter', 'The request body must be a JSON object.'),
};

function secretNotFound(name: string, version: string): EmulatorResponse {
  const id = version ? `${name}/${version}` : name;
  return azureError(
    404,
    'SecretNotFound',
    `A secret with (name/id) ${id} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
  );
}

function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
