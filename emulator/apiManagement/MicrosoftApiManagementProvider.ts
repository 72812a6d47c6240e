import {
  azureError,
  header,
  isPlainObject,
  isSegment,
  jsonResponse,
  parseJsonBody,
  type EmulatorRequest,
  type EmulatorResponse,
} from '../EmulatorExchange';
import type { ArmApiVersionPolicy } from '../logic/ArmFrontDoor';
import { parseArmResourcePath, resourceNotFound, resourceOperation } from '../logic/armResources';
import type { ArmOperation, ArmResourceProvider } from '../logic/ArmRouter';
import {
  namedValueResourceId,
  serviceResourceId,
  type ApiManagementState,
  type LongRunningOperation,
  type NamedValueWrite,
  type StoredNamedValue,
} from './ApiManagementState';

/** What @azure/arm-apimanagement 9.2.0 sends. */
export const apiManagementApiVersion = '2022-08-01';

interface ApimRoute extends ArmOperation {
  readonly resourceGroup: string;
  readonly serviceName: string;
  readonly namedValueName?: string;
  readonly asyncOperationId?: string;
}

/** Resolves an ARM path to the operation it names (ARM and APIM match paths without regard to case). */
function resolveRoute(method: string, pathname: string): ApimRoute | undefined {
  const path = parseArmResourcePath(pathname, 'Microsoft.ApiManagement/service');
  if (!path || path.kind !== 'resource') return undefined;
  const base = { subscriptionId: path.subscriptionId, resourceGroup: path.resourceGroup, serviceName: path.name };
  const [first, second, third] = path.segments;
  if (isSegment(first, 'namedValues') && second !== undefined) {
    const namedValue = { ...base, namedValueName: second };
    if (path.segments.length === 2) {
      return resourceOperation(method, { GET: 'NamedValue_Get', PATCH: 'NamedValue_Update', PUT: 'NamedValue_CreateOrUpdate' }, namedValue);
    }
    if (path.segments.length === 3 && method === 'POST' && isSegment(third, 'listValue')) {
      return { operationId: 'NamedValue_ListValue', ...namedValue };
    }
  }
  // The Azure-AsyncOperation URL of a write (the 2024-05-01 example ApiManagementUpdateNamedValue.json shows it); no spec declares it.
  if (method === 'GET' && path.segments.length === 3 && isSegment(first, 'tenant') && isSegment(second, 'operationResults')) {
    return { operationId: 'ApiManagementOperationResults_Get', ...base, asyncOperationId: third as string };
  }
  return undefined;
}

/**
 * The Microsoft.ApiManagement resource provider behind ARM (api-version 2022-08-01): named values, read
 * (GET, POST listValue) and written (PATCH, PUT) with ETags and If-Match, the writes long-running as APIM's
 * are (202, Location and Azure-AsyncOperation, then an operation result that reports InProgress and Succeeded).
 *
 * If-Match is evaluated on writes only. The SDK's poller re-sends the write's If-Match on its poll GETs
 * (createLroSpec reuses the operation's header parameters); were APIM to evaluate it there, the final GET
 * of every 202 update would fail with 412 once the ETag changed, so APIM must ignore it on GETs, as HTTP
 * lets a server do for a precondition on a safe method (RFC 9110 §13.1.1).
 */
export class MicrosoftApiManagementProvider implements ArmResourceProvider<ApimRoute> {
  readonly namespace = 'Microsoft.ApiManagement';
  readonly apiVersions: ArmApiVersionPolicy = { supported: [apiManagementApiVersion] };

  constructor(
    private readonly state: ApiManagementState,
    private readonly armEndpoint: () => string,
  ) {}

  readonly route = resolveRoute;

  handle(request: EmulatorRequest, route: ApimRoute): EmulatorResponse {
    const { subscriptionId, resourceGroup, serviceName } = route;
    const serviceId = serviceResourceId(subscriptionId, resourceGroup, serviceName);
    if (!this.state.serviceExists(serviceId)) return resourceNotFound('Microsoft.ApiManagement/service', serviceName, resourceGroup);
    if (route.asyncOperationId !== undefined) return this.operationResult(request, route.asyncOperationId);
    const name = route.namedValueName ?? '';
    const id = namedValueResourceId(subscriptionId, resourceGroup, serviceName, name);
    const asyncId = request.url.searchParams.get('asyncId');
    if (route.operationId === 'NamedValue_Get' && asyncId !== null) {
      const polled = this.locationPoll(asyncId);
      if (polled) return polled;
    }
    if (route.operationId === 'NamedValue_CreateOrUpdate') return this.createOrUpdate(request, id, serviceId, name);
    const stored = this.state.find(id);
    if (!stored) return azureError(404, 'ResourceNotFound', 'NamedValue not found.');
    switch (route.operationId) {
      case 'NamedValue_Get':
        return this.entity(200, stored);
      case 'NamedValue_ListValue':
        return this.listValue(stored);
      default:
        return this.update(request, stored);
    }
  }

  private listValue(stored: StoredNamedValue): EmulatorResponse {
    const value = this.state.valueOf(stored.id);
    if (value === undefined) {
      return azureError(400, 'ValidationError', `Key Vault secret of the named value '${stored.name}' could not be fetched.`);
    }
    return jsonResponse(200, { value }, { etag: this.state.etagOf(stored) });
  }

  private update(request: EmulatorRequest, stored: StoredNamedValue): EmulatorResponse {
    const ifMatch = header(request, 'if-match');
    if (ifMatch === undefined || ifMatch.trim() === '') {
      return validationError('If-Match header is required for this operation.', 'If-Match');
    }
    const precondition = this.checkIfMatch(ifMatch, stored);
    if (precondition) return precondition;
    const write = readWrite(request, false);
    if ('response' in write) return write.response;
    if (this.state.longRunning.completion === 'synchronous') {
      return this.entity(200, this.state.write(stored.id, write.properties));
    }
    const operation = this.state.startOperation(stored.id, 200, () => this.state.write(stored.id, write.properties));
    return this.accepted(stored.id, stored.serviceId, operation);
  }

  private createOrUpdate(request: EmulatorRequest, id: string, serviceId: string, name: string): EmulatorResponse {
    const existing = this.state.find(id);
    const ifMatch = header(request, 'if-match');
    if (ifMatch !== undefined && ifMatch.trim() !== '') {
      if (!existing) {
        if (ifMatch.trim() !== '*') return preconditionFailed();
      } else {
        const precondition = this.checkIfMatch(ifMatch, existing);
        if (precondition) return precondition;
      }
    }
    const write = readWrite(request, true);
    if ('response' in write) return write.response;
    // PUT replaces: what the body leaves out goes back to its default.
    const replacement: NamedValueWrite = { secret: false, tags: [], ...write.properties };
    const create = { serviceId, name };
    const targetId = existing?.id ?? id;
    const asyncCode = existing ? 200 : 201;
    if (this.state.longRunning.completion === 'synchronous') {
      return this.entity(asyncCode, this.state.write(targetId, replacement, create));
    }
    const operation = this.state.startOperation(targetId, asyncCode, () => this.state.write(targetId, replacement, create));
    return this.accepted(targetId, serviceId, operation);
  }

  private checkIfMatch(ifMatch: string, stored: StoredNamedValue): EmulatorResponse | undefined {
    const current = this.state.etagOf(stored);
    const accepted = ifMatch.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
    if (accepted.includes('*') || accepted.includes(current)) return undefined;
    return preconditionFailed();
  }

  /** 202 as the official example ApiManagementUpdateNamedValue.json shows it: Location (the resource, with asyncId) and Azure-AsyncOperation. */
  private accepted(namedValueId: string, serviceId: string, operation: LongRunningOperation): EmulatorResponse {
    return {
      status: 202,
      headers: {
        location: this.locationOf(namedValueId, operation),
        'azure-asyncoperation': `${this.armEndpoint()}${serviceId}/tenant/operationResults/${operation.id}?api-version=${apiManagementApiVersion}`,
        ...this.retryAfter(),
      },
    };
  }

  private locationOf(namedValueId: string, operation: LongRunningOperation): string {
    return `${this.armEndpoint()}${namedValueId}?api-version=${apiManagementApiVersion}&asyncId=${operation.id}&asyncCode=${operation.asyncCode}`;
  }

  private retryAfter(): Record<string, string> {
    const seconds = this.state.longRunning.retryAfterSeconds;
    return seconds !== undefined ? { 'retry-after': String(seconds) } : {};
  }

  /** The Azure-AsyncOperation URL: ARM's operation status body (`status` InProgress, Succeeded or Failed, and `error`). */
  private operationResult(request: EmulatorRequest, operationId: string): EmulatorResponse {
    const operation = this.state.poll(operationId);
    if (!operation) return azureError(404, 'ResourceNotFound', 'Operation not found.');
    const body = {
      id: request.url.pathname,
      name: operation.id,
      status: operation.status,
      startTime: operation.startTime.toISOString(),
      ...(operation.endTime ? { endTime: operation.endTime.toISOString() } : {}),
      ...(operation.status === 'Failed' && operation.failure ? { error: operation.failure } : {}),
    };
    return jsonResponse(200, body, operation.status === 'InProgress' ? this.retryAfter() : undefined);
  }

  /** A GET of the Location URL (asyncId) polls the operation too: 202 while it runs, its error once it failed. */
  private locationPoll(asyncId: string): EmulatorResponse | undefined {
    const operation = this.state.poll(asyncId);
    if (!operation) return undefined;
    if (operation.status === 'InProgress') {
      return { status: 202, headers: { location: this.locationOf(operation.namedValueId, operation), ...this.retryAfter() } };
    }
    if (operation.status === 'Failed' && operation.failure) return azureError(400, operation.failure.code, operation.failure.message);
    return undefined;
  }

  private entity(status: number, stored: StoredNamedValue): EmulatorResponse {
    return jsonResponse(status, this.representation(stored), { etag: this.state.etagOf(stored) });
  }

  /** NamedValueContract: `value` only for a plain (not secret, not Key Vault) value, as the examples show. */
  private representation(stored: StoredNamedValue): unknown {
    const keyVault = stored.keyVault;
    const resolved = keyVault ? this.state.keyVaultValue(keyVault.secretIdentifier) !== undefined : false;
    return {
      id: stored.id,
      type: 'Microsoft.ApiManagement/service/namedValues',
      name: stored.name,
      properties: {
        displayName: stored.displayName,
        ...(!stored.secret && !keyVault && stored.value !== undefined ? { value: stored.value } : {}),
        ...(keyVault
          ? {
              keyVault: {
                secretIdentifier: keyVault.secretIdentifier,
                ...(keyVault.identityClientId !== undefined ? { identityClientId: keyVault.identityClientId } : {}),
                lastStatus: resolved
                  ? { code: 'Success', timeStampUtc: stored.refreshedAt.toISOString() }
                  : { code: 'NotFound', message: 'The secret was not found in Key Vault.', timeStampUtc: stored.refreshedAt.toISOString() },
              },
            }
          : {}),
        tags: stored.tags,
        secret: stored.secret,
      },
    };
  }
}

function preconditionFailed(): EmulatorResponse {
  return azureError(412, 'PreconditionFailed', 'The entity tag in the If-Match header does not match the current version of the entity.');
}

/** APIM's validation failure: `ValidationError` with the fields at fault in `details`. */
function validationError(message: string, target: string): EmulatorResponse {
  return jsonResponse(400, {
    error: {
      code: 'ValidationError',
      message: 'One or more fields contain incorrect values:',
      details: [{ code: 'ValidationError', target, message }],
    },
  });
}

/** The `properties` of a PATCH (NamedValueUpdateParameters) or PUT (NamedValueCreateContract) body, checked as the spec constrains them. */
function readWrite(request: EmulatorRequest, create: boolean): { properties: NamedValueWrite } | { response: EmulatorResponse } {
  let body: unknown;
  try {
    body = parseJsonBody(request);
  } catch {
    return { response: azureError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.') };
  }
  const properties = isPlainObject(body) ? body['properties'] : undefined;
  if (!isPlainObject(properties)) return { response: validationError('Properties are required.', 'properties') };
  const { displayName, value, secret, tags, keyVault } = properties;
  if (displayName !== undefined && (typeof displayName !== 'string' || !/^[A-Za-z0-9-._]{1,256}$/.test(displayName))) {
    return {
      response: validationError('Display name may contain only letters, digits, period, dash, and underscore characters.', 'displayName'),
    };
  }
  if (create && displayName === undefined) return { response: validationError('Display name is required.', 'displayName') };
  if (value !== undefined && (typeof value !== 'string' || value.trim() === '' || value.length > 4096)) {
    return { response: validationError('Value may not be empty, consist only of whitespace, or be longer than 4096 characters.', 'value') };
  }
  if (secret !== undefined && typeof secret !== 'boolean') return { response: validationError('Secret must be a boolean.', 'secret') };
  if (tags !== undefined && (!Array.isArray(tags) || tags.length > 32 || tags.some((tag) => typeof tag !== 'string'))) {
    return { response: validationError('Tags must be at most 32 strings.', 'tags') };
  }
  let vault: NamedValueWrite['keyVault'];
  if (keyVault !== undefined && keyVault !== null) {
    if (!isPlainObject(keyVault) || typeof keyVault['secretIdentifier'] !== 'string') {
      return { response: validationError('Key Vault secret identifier is required.', 'keyVault') };
    }
    const identityClientId = keyVault['identityClientId'];
    vault = {
      secretIdentifier: keyVault['secretIdentifier'],
      ...(typeof identityClientId === 'string' ? { identityClientId } : {}),
    };
  }
  if (create && value === undefined && vault === undefined) {
    return { response: validationError('Either value or Key Vault secret identifier is required.', 'value') };
  }
  return {
    properties: {
      ...(displayName !== undefined ? { displayName: displayName as string } : {}),
      ...(value !== undefined ? { value: value as string } : {}),
      ...(secret !== undefined ? { secret: secret as boolean } : {}),
      ...(tags !== undefined ? { tags: tags as string[] } : {}),
      ...(vault !== undefined ? { keyVault: vault } : {}),
    },
  };
}
