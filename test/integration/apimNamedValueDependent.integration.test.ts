import { DefaultAzureCredential } from '@azure/identity';
import { isRestError } from '@azure/core-rest-pipeline';
import type { StoredNamedValue } from '../../emulator/index';
import { ApimNamedValueDependents } from '../../src/azure/apiManagement/ApimNamedValueDependents';
import { parseCallbackUrl, type CallbackUrl } from '../../src/rotation/CallbackUrl';
import { parseDependent, type Dependent, callbackEndpoint } from '../../src/rotation/Dependent';
import { TargetRotationError } from '../../src/rotation/failures';
import type { RotationTarget } from '../../src/rotation/RotationTarget';
import { resourceGroupId } from '../support/constants';
import { addRequestWorkflow, uniqueName, useEmulator } from '../support/emulatorEnvironment';
import { fastRetry } from '../support/fastRetry';

/**
 * The API Management named-value adapter with the real @azure/arm-apimanagement client against the
 * emulator: each form read and written, APIM's long-running PATCH polled to the end, every call's
 * faults, and the misconfigurations it reports. Every exchange is checked against the 2022-08-01 spec.
 */
const emulator = useEmulator();
let gateway: ApimNamedValueDependents;
const service = `${resourceGroupId}/providers/Microsoft.ApiManagement/service/apim-dependents`;

beforeAll(() => {
  gateway = new ApimNamedValueDependents({
    credential: new DefaultAzureCredential(),
    resourceManagerEndpoint: emulator.armEndpoint,
    retry: fastRetry,
  });
});

afterEach(() => emulator.apiManagement.longRunning.reset());

interface Seeded {
  readonly target: RotationTarget;
  readonly dependent: Dependent;
  /** The URL the named value holds (or whose sig it holds), signed with the Primary key. */
  readonly held: CallbackUrl;
  /** The Secondary key's URL: what a rotation publishes next. */
  readonly next: CallbackUrl;
}

function callbackUrl(workflowId: string, keyType: 'Primary' | 'Secondary'): CallbackUrl {
  return parseCallbackUrl(emulator.logic.currentCallbackUrl(workflowId, 'manual', keyType)) as CallbackUrl;
}

function seed(form: 'url' | 'sig', options: { secret?: boolean } = {}): Seeded {
  const workflowId = addRequestWorkflow(emulator, 'apim');
  const held = callbackUrl(workflowId, 'Primary');
  const resourceId = emulator.apiManagement.seedNamedValue(`${service}/namedValues/${uniqueName('nv')}`, {
    value: form === 'url' ? held.value : held.sig,
    secret: options.secret ?? form === 'sig',
    ...(form === 'sig' ? { callsWorkflow: { workflowId, trigger: 'manual' } } : {}),
  });
  return { target: targetOf(workflowId), dependent: dependentOf(resourceId), held, next: callbackUrl(workflowId, 'Secondary') };
}

function targetOf(workflowId: string): RotationTarget {
  return { workflowId, host: 'consumption', trigger: 'manual', secretName: uniqueName('apim-url'), intervalDays: 30, adopt: false };
}

function dependentOf(resourceId: string): Dependent {
  const dependent = parseDependent(resourceId);
  if (dependent?.kind !== 'apimNamedValue') throw new Error(`not a named value ID: ${resourceId}`);
  return dependent;
}

function operationsSince(start: number): string[] {
  return emulator.requests
    .slice(start)
    .filter((request) => request.service === 'arm')
    .map((request) => `${request.operationId} ${request.status}`);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('read', () => {
  it('a plain named value holding the whole URL: from the GET alone', async () => {
    const { target, dependent, held } = seed('url', { secret: false });
    const start = emulator.requests.length;
    await expect(gateway.read(dependent, target)).resolves.toEqual({
      form: 'url',
      sigs: [held.sig],
      endpoints: [callbackEndpoint(held.value)],
    });
    expect(operationsSince(start)).toEqual(['NamedValue_Get 200']);
  });

  it('a secret named value holding the sig (the "Import Logic App" shape): GET, then POST listValue', async () => {
    const { target, dependent, held } = seed('sig');
    const start = emulator.requests.length;
    await expect(gateway.read(dependent, target)).resolves.toEqual({ form: 'sig', sigs: [held.sig] });
    expect(operationsSince(start)).toEqual(['NamedValue_Get 200', 'NamedValue_ListValue 200']);
  });

  it('a secret named value holding the whole URL', async () => {
    const { target, dependent, held } = seed('url', { secret: true });
    await expect(gateway.read(dependent, target)).resolves.toEqual({
      form: 'url',
      sigs: [held.sig],
      endpoints: [callbackEndpoint(held.value)],
    });
  });

  it('a Key Vault reference: only where it points, never its value', async () => {
    const workflowId = addRequestWorkflow(emulator, 'apim');
    const secretName = uniqueName('apim-kv');
    emulator.keyVault.seed(secretName, emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary'));
    const secretIdentifier = `${emulator.keyVaultUri}secrets/${secretName}`;
    const resourceId = emulator.apiManagement.seedNamedValue(`${service}/namedValues/${uniqueName('nv-kv')}`, {
      keyVaultSecretIdentifier: secretIdentifier,
    });
    const start = emulator.requests.length;
    await expect(gateway.read(dependentOf(resourceId), targetOf(workflowId))).resolves.toEqual({
      form: 'keyVaultReference',
      secretIdentifier,
    });
    expect(operationsSince(start)).toEqual(['NamedValue_Get 200']);
    expect(emulator.apiManagement.urlWorks(resourceId)).toBe(true);
  });

  it.each([
    ['an unrelated text', 'not a callback url at all', false],
    ['a URL without sig', 'https://example.com/hook?code=1', true],
  ])('%s: DependentValueUnrecognized, naming the named value and never printing the value', async (_name, value, secret) => {
    const workflowId = addRequestWorkflow(emulator, 'apim');
    const resourceId = emulator.apiManagement.seedNamedValue(`${service}/namedValues/${uniqueName('nv-odd')}`, { value, secret });
    const error = await rejection(gateway.read(dependentOf(resourceId), targetOf(workflowId)));
    expect(error).toBeInstanceOf(TargetRotationError);
    expect((error as TargetRotationError).failure).toMatchObject({ step: 'dependents', code: 'DependentValueUnrecognized' });
    expect((error as Error).message).toContain(resourceId);
    expect((error as Error).message).not.toContain(value);
  });

  it('a dependent of another kind: DependentResourceIdInvalid', async () => {
    const { target } = seed('url');
    const actionGroup = dependentOf(`${service}/namedValues/x`);
    const other: Dependent = { kind: 'actionGroup', resourceId: `${resourceGroupId}/providers/Microsoft.Insights/actionGroups/ag` };
    expect(actionGroup.kind).toBe('apimNamedValue');
    const error = await rejection(gateway.read(other, target));
    expect((error as TargetRotationError).failure).toMatchObject({ step: 'dependents', code: 'DependentResourceIdInvalid' });
    expect((error as Error).message).toContain(other.resourceId);
  });

  it('a missing named value, and a missing service: 404 ResourceNotFound as a RestError', async () => {
    const { target } = seed('url');
    const missingValue = await rejection(gateway.read(dependentOf(`${service}/namedValues/${uniqueName('absent')}`), target));
    expect(isRestError(missingValue) && missingValue.statusCode === 404 && missingValue.code === 'ResourceNotFound').toBe(true);
    const otherService = `${resourceGroupId}/providers/Microsoft.ApiManagement/service/apim-absent/namedValues/nv`;
    const missingService = await rejection(gateway.read(dependentOf(otherService), target));
    expect(isRestError(missingService) && missingService.statusCode === 404).toBe(true);
    expect((missingService as Error).message).toContain("'Microsoft.ApiManagement/service/apim-absent'");
  });
});

describe('update', () => {
  it.each([
    ['a plain URL', 'url', false],
    ['a secret URL', 'url', true],
    ['a secret sig', 'sig', true],
    ['a plain sig', 'sig', false],
  ] as const)(
    '%s: PATCH with If-Match, polled until Succeeded; the new URL works and the old one is no longer held',
    async (_name, form, secret) => {
      const { target, dependent, held, next } = seed(form, { secret });
      const start = emulator.requests.length;
      await gateway.update(dependent, target, next);

      expect(emulator.apiManagement.valueOf(dependent.resourceId)).toBe(form === 'url' ? next.value : next.sig);
      expect(emulator.apiManagement.urlWorks(dependent.resourceId)).toBe(true);
      expect(emulator.apiManagement.find(dependent.resourceId)?.secret).toBe(secret);
      expect(emulator.apiManagement.valueOf(dependent.resourceId)).not.toContain(held.sig);
      expect(operationsSince(start)).toEqual([
        'NamedValue_Get 200',
        ...(secret ? ['NamedValue_ListValue 200'] : []),
        'NamedValue_Update 202',
        'ApiManagementOperationResults_Get 200',
        'ApiManagementOperationResults_Get 200',
        'NamedValue_Get 200',
      ]);
      // The new key's URL works on its own; once the old key is regenerated, what the named value held before would not.
      emulator.logic.regenerateAccessKey(target.workflowId, 'Primary');
      expect(emulator.apiManagement.urlWorks(dependent.resourceId)).toBe(true);
      expect(emulator.logic.isCallbackUrlValid(held.value)).toBe(false);
    },
  );

  it('sends the ETag of its GET as If-Match, and writes only the value', async () => {
    const { target, dependent, next } = seed('sig');
    const eTag = emulator.apiManagement.etagOf(emulator.apiManagement.find(dependent.resourceId) as StoredNamedValue);
    const start = emulator.exchanges.length;
    await gateway.update(dependent, target, next);
    const patch = emulator.exchanges.slice(start).find((exchange) => exchange.method === 'PATCH');
    expect(patch?.requestHeaders['if-match']).toBe(eTag);
    expect(JSON.parse(patch?.requestBody ?? '{}')).toEqual({ properties: { value: next.sig } });
  });

  it('polls as long as APIM reports InProgress, honouring Retry-After, and the change takes effect only at the end', async () => {
    const { target, dependent, held, next } = seed('url');
    emulator.apiManagement.longRunning.pollsInProgress = 3;
    emulator.apiManagement.longRunning.retryAfterSeconds = 1;
    const seen: Array<string | undefined> = [];
    const unsubscribe = emulator.onRequest((record) => {
      if (record.operationId === 'ApiManagementOperationResults_Get') seen.push(emulator.apiManagement.valueOf(dependent.resourceId));
    });
    try {
      await gateway.update(dependent, target, next);
    } finally {
      unsubscribe();
    }
    expect(seen).toEqual([held.value, held.value, held.value, next.value]);
    expect(emulator.apiManagement.valueOf(dependent.resourceId)).toBe(next.value);
  });

  it('takes a synchronous 200 as done, without polling', async () => {
    const { target, dependent, next } = seed('sig');
    emulator.apiManagement.longRunning.completion = 'synchronous';
    const start = emulator.requests.length;
    await gateway.update(dependent, target, next);
    expect(operationsSince(start)).toEqual(['NamedValue_Get 200', 'NamedValue_ListValue 200', 'NamedValue_Update 200']);
    expect(emulator.apiManagement.urlWorks(dependent.resourceId)).toBe(true);
  });

  it('an operation that ends Failed: rejects with its error, the value unchanged', async () => {
    const { target, dependent, held, next } = seed('url');
    emulator.apiManagement.longRunning.add({ outcome: 'failed', errorCode: 'OperationFailed', message: 'Backend store unavailable.' });
    const error = await rejection(gateway.update(dependent, target, next));
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/OperationFailed|Backend store unavailable/);
    expect((error as Error).message).not.toContain(next.sig);
    expect(emulator.apiManagement.valueOf(dependent.resourceId)).toBe(held.value);
  });

  it('an operation that never completes: stopped by the abortSignal, the value unchanged', async () => {
    const { target, dependent, held, next } = seed('sig');
    emulator.apiManagement.longRunning.add({ outcome: 'neverCompletes' });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 500);
    const startedAt = Date.now();
    try {
      const error = await rejection(gateway.update(dependent, target, next, { abortSignal: controller.signal }));
      expect((error as Error).name).toBe('AbortError');
    } finally {
      clearTimeout(timer);
    }
    expect(Date.now() - startedAt).toBeLessThan(1_900);
    expect(emulator.apiManagement.valueOf(dependent.resourceId)).toBe(held.sig);
  });

  it('a concurrent edit between its GET and its PATCH: 412 PreconditionFailed, the edit kept', async () => {
    const { target, dependent, next } = seed('url');
    emulator.faults.add({ service: 'arm', operationId: 'NamedValue_Update', hold: true });
    const update = rejection(gateway.update(dependent, target, next));
    const held = await emulator.faults.nextHeld();
    emulator.apiManagement.seedNamedValue(dependent.resourceId, { value: 'edited-elsewhere-by-hand-0123456789', secret: false });
    held.release();
    const error = await update;
    expect(isRestError(error) && error.statusCode === 412 && error.code === 'PreconditionFailed').toBe(true);
    expect(emulator.apiManagement.valueOf(dependent.resourceId)).toBe('edited-elsewhere-by-hand-0123456789');
  });

  it('a Key Vault reference: DependentIsKeyVaultReference, nothing written', async () => {
    const workflowId = addRequestWorkflow(emulator, 'apim');
    const resourceId = emulator.apiManagement.seedNamedValue(`${service}/namedValues/${uniqueName('nv-kv')}`, {
      keyVaultSecretIdentifier: `${emulator.keyVaultUri}secrets/${uniqueName('apim-kv')}`,
    });
    const start = emulator.requests.length;
    const error = await rejection(gateway.update(dependentOf(resourceId), targetOf(workflowId), callbackUrl(workflowId, 'Secondary')));
    expect((error as TargetRotationError).failure).toMatchObject({ step: 'dependents', code: 'DependentIsKeyVaultReference' });
    expect((error as Error).message).toContain(resourceId);
    expect(operationsSince(start)).toEqual(['NamedValue_Get 200']);
  });

  it('a value that is neither a URL nor a sig: DependentValueUnrecognized, nothing written', async () => {
    const workflowId = addRequestWorkflow(emulator, 'apim');
    const resourceId = emulator.apiManagement.seedNamedValue(`${service}/namedValues/${uniqueName('nv-odd')}`, { value: 'x' });
    const error = await rejection(gateway.update(dependentOf(resourceId), targetOf(workflowId), callbackUrl(workflowId, 'Secondary')));
    expect((error as TargetRotationError).failure).toMatchObject({ code: 'DependentValueUnrecognized' });
    expect(emulator.apiManagement.valueOf(resourceId)).toBe('x');
  });
});

describe('faults on every call', () => {
  const operations = ['NamedValue_Get', 'NamedValue_ListValue', 'NamedValue_Update', 'ApiManagementOperationResults_Get'];

  it.each(operations.flatMap((operationId) => [429, 500].map((status) => [operationId, status] as const)))(
    '%s answering %i once: retried, the update completes',
    async (operationId, status) => {
      const { target, dependent, next } = seed('sig');
      emulator.faults.add({ service: 'arm', operationId, status, retryAfterSeconds: status === 429 ? 0 : undefined });
      await gateway.update(dependent, target, next);
      expect(emulator.apiManagement.valueOf(dependent.resourceId)).toBe(next.sig);
      expect(emulator.apiManagement.urlWorks(dependent.resourceId)).toBe(true);
    },
  );

  it('the final GET of the Location answering 500 once: retried', async () => {
    const { target, dependent, next } = seed('url');
    // The GET before the PATCH goes through; the one after the operation succeeded fails once.
    emulator.faults.add({ service: 'arm', operationId: 'NamedValue_Get', status: 500, skip: 1 });
    await gateway.update(dependent, target, next);
    expect(emulator.apiManagement.valueOf(dependent.resourceId)).toBe(next.value);
  });

  it.each(operations.flatMap((operationId) => [403, 404].map((status) => [operationId, status] as const)))(
    '%s answering %i: a RestError with that status, not retried',
    async (operationId, status) => {
      const { target, dependent, next } = seed('sig');
      emulator.faults.add({ service: 'arm', operationId, status, errorCode: status === 403 ? 'AuthorizationFailed' : 'ResourceNotFound' });
      const start = emulator.requests.length;
      const error = await rejection(gateway.update(dependent, target, next));
      expect(isRestError(error) && error.statusCode === status).toBe(true);
      expect(operationsSince(start).filter((line) => line.startsWith(`${operationId} `))).toEqual([`${operationId} ${status}`]);
    },
  );

  it.each([
    [403, 'AuthorizationFailed'],
    [404, 'ResourceNotFound'],
  ])('read: the GET answering %i is a RestError %s', async (status, code) => {
    const { target, dependent } = seed('url');
    emulator.faults.add({ service: 'arm', operationId: 'NamedValue_Get', status, errorCode: code });
    const error = await rejection(gateway.read(dependent, target));
    expect(isRestError(error) && error.statusCode === status && error.code === code).toBe(true);
  });
});
