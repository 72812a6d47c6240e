import { jsonHeaders, ordersWorkflowUrl, recordedExchange } from '../support/recordedExchange';
import { checkConformance } from './OpenApiConformance';

/**
 * The conformance check itself: it must fail on a planted mismatch in either direction, pass what
 * Azure really sends, and handle oav's known quirks (each named in OpenApiConformance.ts).
 */
const callbackUrl = {
  value:
    'https://prod-00.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-10-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=x',
  method: 'POST',
  basePath: 'https://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke',
  queries: { 'api-version': '2016-10-01', sp: '/triggers/manual/run', sv: '1.0', sig: 'x' },
};

describe('the OpenAPI conformance check (oav against the vendored specs)', () => {
  it('passes conforming traffic in both directions and names the spec operation', async () => {
    const report = await checkConformance([
      recordedExchange({}),
      recordedExchange({
        url: `${ordersWorkflowUrl}/triggers/manual/listCallbackUrl?api-version=2019-05-01`,
        responseHeaders: jsonHeaders,
        responseBody: JSON.stringify(callbackUrl),
      }),
    ]);

    expect(report.problems).toEqual([]);
    expect(report.coverage.map((row) => [row.operation, row.status, row.validated])).toEqual([
      ['WorkflowTriggers_ListCallbackUrl', 200, 1],
      ['Workflows_RegenerateAccessKey', 200, 1],
    ]);
  }, 30_000);

  it('fails a request the spec rejects (a product bug) and an answer the spec rejects (an emulator bug)', async () => {
    const report = await checkConformance([
      recordedExchange({ requestBody: JSON.stringify({ keyType: 'Secondary', rotate: true }) }),
      recordedExchange({
        url: `${ordersWorkflowUrl}/triggers/manual/listCallbackUrl?api-version=2019-05-01`,
        responseHeaders: jsonHeaders,
        responseBody: JSON.stringify({ ...callbackUrl, signature: 'planted' }),
      }),
    ]);

    expect(report.problems).toEqual([
      expect.objectContaining({
        operationId: 'Workflows_RegenerateAccessKey',
        direction: 'request',
        code: 'OBJECT_ADDITIONAL_PROPERTIES',
        path: '$.rotate',
      }),
      expect.objectContaining({
        operationId: 'WorkflowTriggers_ListCallbackUrl',
        direction: 'response',
        code: 'OBJECT_ADDITIONAL_PROPERTIES',
        path: '$.signature',
      }),
    ]);
  }, 30_000);

  it('fails an operation that no spec declares', async () => {
    const report = await checkConformance([recordedExchange({ url: `${ordersWorkflowUrl}/rotateEverything?api-version=2019-05-01` })]);

    expect(report.problems).toEqual([
      expect.objectContaining({ direction: 'request', code: expect.stringMatching(/OPERATION_NOT_FOUND/) }),
      expect.objectContaining({ direction: 'response', code: expect.stringMatching(/OPERATION_NOT_FOUND/) }),
    ]);
  }, 30_000);

  it('handles the tool quirks: Application Insights versions its path, Key Vault lists versions and reads the latest with an empty segment', async () => {
    const vault = 'https://127.0.0.1:2';
    const report = await checkConformance([
      recordedExchange({
        service: 'appInsights',
        url: 'https://127.0.0.1:3/v2.1/track',
        requestBody: JSON.stringify([
          {
            name: 'Microsoft.ApplicationInsights.Event',
            time: '2026-11-30T00:00:00.000Z',
            iKey: '00000000-0000-0000-0000-000000000000',
            data: { baseType: 'EventData', baseData: { ver: 2, name: 'SasKeyRotationRun' } },
          },
        ]),
        responseHeaders: jsonHeaders,
        responseBody: JSON.stringify({ itemsReceived: 1, itemsAccepted: 1, errors: [] }),
      }),
      recordedExchange({
        service: 'keyVault',
        method: 'GET',
        url: `${vault}/secrets/orders-url/versions?api-version=2025-07-01`,
        requestBody: undefined,
        responseHeaders: jsonHeaders,
        responseBody: JSON.stringify({ value: [], nextLink: null }),
      }),
      recordedExchange({
        service: 'keyVault',
        method: 'GET',
        url: `${vault}/secrets/orders-url/?api-version=2025-07-01`,
        requestBody: undefined,
        status: 404,
        responseHeaders: jsonHeaders,
        responseBody: JSON.stringify({
          error: { code: 'SecretNotFound', message: 'A secret with (name/id) orders-url was not found in this key vault.' },
        }),
      }),
    ]);

    expect(report.problems).toEqual([]);
    expect(report.coverage.map((row) => row.operation).sort()).toEqual(['GetSecret', 'GetSecretVersions', 'track']);
  }, 30_000);

  it('does not validate what has no public spec, and says so', async () => {
    const report = await checkConformance([
      recordedExchange({
        service: 'flow',
        url: 'https://127.0.0.1:4/providers/Microsoft.ProcessSimple/environments/e/flows/f/regenerateAccessKey?api-version=2016-11-01',
      }),
    ]);

    expect(report.problems).toEqual([]);
    expect(report.coverage).toEqual([
      expect.objectContaining({ validated: 0, skipped: 1, skipReason: expect.stringMatching(/no public OpenAPI spec/) }),
    ]);
  });
});
