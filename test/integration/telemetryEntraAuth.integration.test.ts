import { runRotation } from '../../src/rotation/runRotation';
import { addRequestWorkflow, settingsFor, useEmulator } from '../support/emulatorEnvironment';
import { useRotationServices } from '../support/rotationServices';

/**
 * infra/ deploys Application Insights with local authentication disabled, so ingestion accepts only
 * Entra tokens for Azure Monitor: APPLICATIONINSIGHTS_AUTHENTICATION_STRING switches the exporter to
 * the managed identity.
 */
const emulator = useEmulator({ appInsightsLocalAuthDisabled: true });
const rotationServices = useRotationServices(emulator);

async function rotateWith(extra: Record<string, string>, invocationId: string) {
  const workflowId = addRequestWorkflow(emulator, 'entra');
  const settings = settingsFor(emulator, [{ workflowId, secretName: `${invocationId}-url` }], extra);
  const services = rotationServices.create(settings);
  const result = await runRotation(settings.targets, services, { mode: 'rotate', invocationId, concurrency: 1 });
  await services.telemetry.flush();
  const delivered = emulator.appInsights.envelopes.filter((e) => JSON.stringify(e).includes(`"invocationId":"${invocationId}"`));
  return { result, delivered };
}

describe('telemetry with local authentication disabled', () => {
  it('delivers the events with an Entra token for Azure Monitor when the authentication string is set', async () => {
    const { result, delivered } = await rotateWith({ APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD' }, 'entra-on');

    expect(result.targets[0]?.action).toBe('rotated');
    expect(delivered.length).toBeGreaterThanOrEqual(2);
  });

  it('without it the events are refused (401) but rotation is unaffected', async () => {
    const { result, delivered } = await rotateWith({}, 'entra-off');

    expect(result.targets[0]?.action).toBe('rotated');
    expect(delivered).toHaveLength(0);
    expect(emulator.requests.some((r) => r.operationId === 'Track' && r.status === 401)).toBe(true);
  });
});
