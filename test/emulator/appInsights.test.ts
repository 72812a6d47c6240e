import { gzipSync } from 'zlib';
import { callEmulator, useFidelityEmulator } from './emulatorTestKit';

describe('Application Insights ingestion', () => {
  const emulator = useFidelityEmulator('none');
  let trackUrl: string;
  let instrumentationKey: string;

  beforeAll(() => {
    const settings = Object.fromEntries(emulator.appInsightsConnectionString.split(';').map((pair) => pair.split('=') as [string, string]));
    instrumentationKey = settings['InstrumentationKey'] ?? '';
    trackUrl = `${settings['IngestionEndpoint'] ?? ''}v2.1/track`;
  });

  beforeEach(() => emulator.appInsights.clear());

  const event = (name: string, iKey = instrumentationKey) => ({
    ver: 1,
    name: 'Microsoft.ApplicationInsights.Event',
    time: new Date().toISOString(),
    iKey,
    tags: { 'ai.cloud.role': 'sas-rotator' },
    data: { baseType: 'EventData', baseData: { ver: 2, name, properties: { workflowId: '/subscriptions/x' } } },
  });

  it('stores accepted envelopes for tests to read', async () => {
    const answer = await callEmulator('POST', trackUrl, { body: [event('SasKeyRotated'), event('SasKeyRotationRun')] });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ itemsReceived: 2, itemsAccepted: 2, errors: [] });
    expect(emulator.appInsights.envelopes.map((envelope) => envelope.data?.baseData?.name)).toEqual(['SasKeyRotated', 'SasKeyRotationRun']);
  });

  it('accepts gzip bodies', async () => {
    const answer = await callEmulator('POST', trackUrl, {
      body: gzipSync(JSON.stringify([event('Compressed')])),
      headers: { 'content-encoding': 'gzip' },
    });
    expect(answer.status).toBe(200);
    expect(emulator.appInsights.envelopes).toHaveLength(1);
  });

  it('answers 206 with per-item errors for envelopes of another instrumentation key', async () => {
    const answer = await callEmulator('POST', trackUrl, { body: [event('Ours'), event('Theirs', '00000000-0000-0000-0000-000000000000')] });
    expect(answer.status).toBe(206);
    expect(answer.body).toMatchObject({ itemsReceived: 2, itemsAccepted: 1, errors: [{ index: 1, statusCode: 400 }] });
    expect(emulator.appInsights.envelopes).toHaveLength(1);
  });
});
