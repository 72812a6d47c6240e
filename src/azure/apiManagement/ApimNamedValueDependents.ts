import { longRunningFailure } from '../core/longRunningFailure';
import { ApiManagementClient, type NamedValueGetResponse } from '@azure/arm-apimanagement';
import { armClientsPerSubscription, type ArmConnection } from '../core/armClients';
import type { CallbackUrl } from '../../rotation/CallbackUrl';
import { holdingFormOf, type Dependent, type DependentHolding } from '../../rotation/Dependent';
import { TargetRotationError } from '../../rotation/failures';
import type { DependentGateway, OperationOptions } from '../../rotation/ports';
import type { RotationTarget } from '../../rotation/RotationTarget';

/** The codes of a misconfigured named value (TargetRotationError at step `dependents`). */
export const apimNamedValueErrorCodes = {
  /** The resource ID is not `/subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service/{svc}/namedValues/{nv}`. */
  resourceIdInvalid: 'DependentResourceIdInvalid',
  /** The value is neither a callback URL with `sig` and `sp` nor a bare `sig`. */
  valueUnrecognized: 'DependentValueUnrecognized',
  /** An update was asked of a Key Vault reference, which APIM refreshes from the vault by itself. */
  isKeyVaultReference: 'DependentIsKeyVaultReference',
} as const;

interface NamedValueId {
  readonly subscriptionId: string;
  readonly resourceGroupName: string;
  readonly serviceName: string;
  readonly namedValueId: string;
}

const namedValueIdPattern =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ApiManagement\/service\/([^/]+)\/namedValues\/([^/]+)$/i;

/** What a named value holds, read through the management API. `value` is secret: never print it. */
type NamedValueContent =
  | { readonly kind: 'keyVaultReference'; readonly secretIdentifier: string }
  | { readonly kind: 'value'; readonly value: string | undefined };

/**
 * API Management named values (`Microsoft.ApiManagement/service/namedValues`) as dependents, through
 * @azure/arm-apimanagement (api-version 2022-08-01), which brings ARM's bearer auth and our retry policy.
 *
 * - A named value either references a Key Vault secret (`keyVault.secretIdentifier`), which APIM
 *   refreshes by itself and sas-rotator only reports, or holds its value: the whole callback URL, or
 *   only the `sig` (what APIM's "Import Logic App" wizard stores, put into the backend URL by a policy).
 * - GET returns the value of a plain named value only; a secret one (`secret: true`) is read with
 *   POST listValue (RBAC `Microsoft.ApiManagement/service/namedValues/listValue/action`).
 * - An update is PATCH with `If-Match` set to the ETag of the GET it was decided on, so a concurrent
 *   edit fails with 412 PreconditionFailed instead of being overwritten; it is long-running (202 with
 *   Location and Azure-AsyncOperation), and the call returns once APIM reports it Succeeded.
 */
export class ApimNamedValueDependents implements DependentGateway {
  private readonly client: (subscriptionId: string) => ApiManagementClient;

  constructor(connection: ArmConnection) {
    this.client = armClientsPerSubscription(ApiManagementClient, connection);
  }

  async read(dependent: Dependent, _target: RotationTarget, options: OperationOptions = {}): Promise<DependentHolding> {
    const id = parseNamedValueId(dependent);
    const entity = await this.get(id, options);
    const content = await this.contentOf(id, entity, options);
    if (content.kind === 'keyVaultReference') return { form: 'keyVaultReference', secretIdentifier: content.secretIdentifier };
    const holding = recognise(dependent, content.value);
    return holding.form === 'url'
      ? { form: 'url', sigs: [holding.sig], endpoints: [holding.endpoint] }
      : { form: 'sig', sigs: [holding.sig] };
  }

  async update(dependent: Dependent, _target: RotationTarget, url: CallbackUrl, options: OperationOptions = {}): Promise<void> {
    const id = parseNamedValueId(dependent);
    const entity = await this.get(id, options);
    const content = await this.contentOf(id, entity, options);
    if (content.kind === 'keyVaultReference') {
      throw misconfigured(
        apimNamedValueErrorCodes.isKeyVaultReference,
        `API Management named value ${dependent.resourceId} references a Key Vault secret: APIM refreshes it from the vault, sas-rotator does not write it. ` +
          'Point the reference at the target\u2019s secret (without a version, so that it follows rotations), or make it a plain value if sas-rotator should write it.',
      );
    }
    const { form } = recognise(dependent, content.value);
    // Without an ETag nothing could stop a concurrent edit from being overwritten: refuse rather than send `*`.
    const eTag = entity.eTag;
    if (!eTag) throw new Error(`API Management answered the GET of named value ${dependent.resourceId} without an ETag; retry later.`);
    const poller = await this.client(id.subscriptionId).namedValue.beginUpdate(
      id.resourceGroupName,
      id.serviceName,
      id.namedValueId,
      eTag,
      { value: form === 'sig' ? url.sig : url.value },
      { abortSignal: options.abortSignal },
    );
    // The SDK's own beginUpdateAndWait would not hand the signal to the waits between polls.
    try {
      await poller.pollUntilDone({ abortSignal: options.abortSignal });
    } catch (error) {
      const failed = longRunningFailure(error);
      if (!failed) throw error;
      throw new TargetRotationError({
        step: 'dependents',
        code: 'DependentUpdateFailed',
        message: `API Management did not apply the new value to named value ${dependent.resourceId}: the operation ended Failed (${failed.azureCode}: ${failed.reason}); it still holds what it had.`,
      });
    }
  }

  private get(id: NamedValueId, options: OperationOptions): Promise<NamedValueGetResponse> {
    return this.client(id.subscriptionId).namedValue.get(id.resourceGroupName, id.serviceName, id.namedValueId, {
      abortSignal: options.abortSignal,
    });
  }

  /** A Key Vault reference, or the value: from the GET for a plain named value, from POST listValue for a secret one. */
  private async contentOf(id: NamedValueId, entity: NamedValueGetResponse, options: OperationOptions): Promise<NamedValueContent> {
    const secretIdentifier = entity.keyVault?.secretIdentifier;
    if (secretIdentifier) return { kind: 'keyVaultReference', secretIdentifier };
    if (!entity.secret && entity.value !== undefined) return { kind: 'value', value: entity.value };
    const secret = await this.client(id.subscriptionId).namedValue.listValue(id.resourceGroupName, id.serviceName, id.namedValueId, {
      abortSignal: options.abortSignal,
    });
    return { kind: 'value', value: secret.value };
  }
}

function parseNamedValueId(dependent: Dependent): NamedValueId {
  const match = dependent.kind === 'apimNamedValue' ? namedValueIdPattern.exec(dependent.resourceId) : null;
  if (!match) {
    throw misconfigured(
      apimNamedValueErrorCodes.resourceIdInvalid,
      `Dependent ${dependent.resourceId} (kind ${dependent.kind}) is not an API Management named value: name one as ` +
        '/subscriptions/<guid>/resourceGroups/<rg>/providers/Microsoft.ApiManagement/service/<service>/namedValues/<name>.',
    );
  }
  const [, subscriptionId = '', resourceGroupName = '', serviceName = '', namedValueId = ''] = match.map((part) => safeDecode(part));
  return { subscriptionId, resourceGroupName, serviceName, namedValueId };
}

/** The form of a held value; never prints it. */
function recognise(dependent: Dependent, value: string | undefined): NonNullable<ReturnType<typeof holdingFormOf>> {
  const holding = value === undefined ? undefined : holdingFormOf(value);
  if (!holding) {
    throw misconfigured(
      apimNamedValueErrorCodes.valueUnrecognized,
      `API Management named value ${dependent.resourceId} holds neither the target\u2019s callback URL nor its sig, so sas-rotator cannot tell what to keep in step. ` +
        'Set it to the current callback URL (or only its sig), or remove it from the target\u2019s dependents.',
    );
  }
  return holding;
}

function misconfigured(code: string, message: string): TargetRotationError {
  return new TargetRotationError({ step: 'dependents', code, message });
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
