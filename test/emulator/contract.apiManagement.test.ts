import { useEmulator } from '../support/emulatorEnvironment';
import * as fs from 'fs';
import * as path from 'path';
import { callEmulator, expectSameShape } from './emulatorTestKit';

/**
 * The emulator's API Management named values against the official 2022-08-01 examples
 * (reference/apim/, copied byte-exact from azure-rest-api-specs; see reference/README.md). The
 * examples' own IDs are used (subscription `subid`, service `apimService1` in `rg1`), so that the
 * answers can be compared value for value where the example is deterministic.
 */
interface ReferenceExample {
  readonly parameters: Record<string, unknown>;
  readonly responses: Record<string, { readonly body?: unknown; readonly headers?: Record<string, string> }>;
}

function reference(name: string): ReferenceExample {
  return JSON.parse(fs.readFileSync(path.join(__dirname, 'reference', 'apim', `${name}.json`), 'utf8')) as ReferenceExample;
}

const service = '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/apimService1';

describe('the emulator answers like the official API Management 2022-08-01 examples', () => {
  const emulator = useEmulator({ conformanceCheck: false, environment: 'none' });
  let token: string;

  beforeAll(() => {
    token = emulator.issueAccessToken(`${emulator.armEndpoint}/.default`);
    emulator.apiManagement.seedNamedValue(`${service}/namedValues/testarmTemplateproperties2`, {
      value: 'propValue',
      displayName: 'propName',
      tags: ['foo', 'bar'],
    });
    emulator.apiManagement.seedNamedValue(`${service}/namedValues/testprop2`, { value: 'old', displayName: 'prop3name', tags: ['foo'] });
  });
  afterEach(() => emulator.apiManagement.longRunning.reset());

  const arm = (method: string, suffix: string, options: { body?: unknown; headers?: Record<string, string> } = {}) =>
    callEmulator(method, `${emulator.armEndpoint}${service}${suffix}?api-version=2022-08-01`, { token, ...options });

  /** Follows a 202 as @azure/core-lro does: the Azure-AsyncOperation URL until Succeeded, then a GET of the Location. */
  async function complete(accepted: { headers: Record<string, string | string[] | undefined> }) {
    const statusUrl = String(accepted.headers['azure-asyncoperation']);
    for (let poll = 0; poll < 5; poll += 1) {
      const status = await callEmulator('GET', statusUrl, { token });
      expect(status.status).toBe(200);
      if ((status.body as { status: string }).status !== 'InProgress') {
        expect(status.body).toMatchObject({ status: 'Succeeded' });
        break;
      }
    }
    return callEmulator('GET', String(accepted.headers['location']), { token });
  }

  it('NamedValue_Get (ApiManagementGetNamedValue): the same body, value for value', async () => {
    const answer = await arm('GET', '/namedValues/testarmTemplateproperties2');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(reference('ApiManagementGetNamedValue').responses['200']?.body);
    expect(answer.headers['etag']).toMatch(/^"[A-Za-z0-9+/=]+"$/);
  });

  it('NamedValue_ListValue (ApiManagementNamedValueListValue)', async () => {
    const answer = await arm('POST', '/namedValues/testarmTemplateproperties2/listValue');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(reference('ApiManagementNamedValueListValue').responses['200']?.body);
  });

  it('NamedValue_Update (ApiManagementUpdateNamedValue): 202 with a Location on the named value, then the 200 body', async () => {
    const example = reference('ApiManagementUpdateNamedValue');
    const answer = await arm('PATCH', '/namedValues/testprop2', {
      body: example.parameters['parameters'],
      headers: { 'if-match': String(example.parameters['If-Match']) },
    });
    expect(answer.status).toBe(202);
    expect(answer.text).toBe('');
    const location = new URL(String(answer.headers['location']));
    const exampleLocation = new URL(String(example.responses['202']?.headers?.['location']));
    expect(location.pathname).toBe(exampleLocation.pathname);
    expect([...location.searchParams.keys()]).toEqual([...exampleLocation.searchParams.keys()]);
    expect(location.searchParams.get('asyncId')).toMatch(/^[0-9a-f]{24}$/);
    // The 2024-05-01 example adds the Azure-AsyncOperation header, on the service's tenant/operationResults.
    expect(String(answer.headers['azure-asyncoperation'])).toMatch(
      new RegExp(`${service}/tenant/operationResults/${location.searchParams.get('asyncId') ?? ''}\\?api-version=2022-08-01$`),
    );
    const final = await complete(answer);
    expect(final.status).toBe(200);
    // The example's 200 body leaves `name` out, which NamedValue_Get's example has.
    expectSameShape(final.body, example.responses['200']?.body, { extra: ['$.name'] });
    expect((final.body as { properties: unknown }).properties).toEqual(
      (example.responses['200']?.body as { properties: unknown } | undefined)?.properties,
    );
  });

  it('NamedValue_CreateOrUpdate (ApiManagementCreateNamedValue): 202, then the new named value', async () => {
    const example = reference('ApiManagementCreateNamedValue');
    expect((await arm('GET', '/namedValues/created1')).status).toBe(404);
    const answer = await arm('PUT', '/namedValues/created1', { body: example.parameters['parameters'] });
    expect(answer.status).toBe(202);
    expect(new URL(String(answer.headers['location'])).searchParams.get('asyncCode')).toBe('201');
    const final = await complete(answer);
    expect(final.status).toBe(200);
    expectSameShape(final.body, example.responses['201']?.body);
    expect((final.body as { properties: unknown }).properties).toEqual(
      (example.responses['201']?.body as { properties: unknown } | undefined)?.properties,
    );
  });

  it('NamedValue_CreateOrUpdate answered synchronously: 201 for a new one, 200 for an existing one, the examples’ bodies', async () => {
    const example = reference('ApiManagementCreateNamedValue');
    emulator.apiManagement.longRunning.completion = 'synchronous';
    const created = await arm('PUT', '/namedValues/created2', { body: example.parameters['parameters'] });
    expect(created.status).toBe(201);
    expectSameShape(created.body, example.responses['201']?.body);
    const updated = await arm('PUT', '/namedValues/created2', { body: example.parameters['parameters'] });
    expect(updated.status).toBe(200);
    expectSameShape(updated.body, example.responses['200']?.body);
    expect(updated.headers['etag']).not.toBe(created.headers['etag']);
  });

  it('NamedValue_CreateOrUpdate with a Key Vault reference, then NamedValue_Get (ApiManagementGetNamedValueWithKeyVault)', async () => {
    const create = reference('ApiManagementCreateNamedValueWithKeyVault');
    emulator.keyVault.seed('aadSecret', 'a-value');
    const answer = await arm('PUT', '/namedValues/testprop6', { body: create.parameters['parameters'] });
    expect(answer.status).toBe(202);
    const final = await complete(answer);
    expectSameShape(final.body, create.responses['201']?.body);
    expect(final.body).toMatchObject({
      properties: { keyVault: { secretIdentifier: 'https://contoso.vault.azure.net/secrets/aadSecret', lastStatus: { code: 'Success' } } },
    });
    const get = await arm('GET', '/namedValues/testprop6');
    expect(get.status).toBe(200);
    expectSameShape(get.body, reference('ApiManagementGetNamedValueWithKeyVault').responses['200']?.body);
    expect((get.body as { properties: Record<string, unknown> }).properties['value']).toBeUndefined();
  });
});
