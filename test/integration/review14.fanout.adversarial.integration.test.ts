import { parseCallbackUrl } from '../../src/rotation/CallbackUrl';
import { startAzurite, type Azurite } from '../support/azurite';
import { resourceGroupId } from '../support/constants';
import { addRequestWorkflow, uniqueName, useEmulator } from '../support/emulatorEnvironment';
import { functionInvocation } from '../support/functionInvocation';

/**
 * Adversarial review of issue 14 (dependents) in fan-out mode: the queue-triggered worker drops
 * SasKeyDependentUpdateFailed on every attempt but the fifth, yet completes the message on the first
 * attempt when the target itself was rotated. Failed when written.
 */
const emulator = useEmulator({ callsFunctionHandlers: true });
let azurite: Azurite;

beforeAll(async () => {
  azurite = await startAzurite({ queue: true });
  process.env.AzureWebJobsStorage = azurite.connectionString;
  process.env.ROTATION_MODE = 'fanout';
});
afterAll(async () => {
  await azurite?.stop();
});

describe('review 14: fan-out worker and dependents', () => {
  it('a dependent update that fails on the first attempt is recorded (SasKeyDependentUpdateFailed), or the message is retried', async () => {
    const workflowId = addRequestWorkflow(emulator, 'fanout-dependent');
    const portal = emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary');
    const namedValue = emulator.apiManagement.seedNamedValue(
      `${resourceGroupId}/providers/Microsoft.ApiManagement/service/apim-front/namedValues/${uniqueName('sig')}`,
      { value: parseCallbackUrl(portal)?.sig, secret: true, callsWorkflow: { workflowId, trigger: 'manual' } },
    );
    const secretName = uniqueName('fanout-dependent');
    process.env.ROTATION_TARGETS = JSON.stringify([{ workflowId, secretName, dependents: [namedValue] }]);
    emulator.faults.add({ operationId: 'NamedValue_Update', status: 403, errorCode: 'AuthorizationFailed', times: Infinity });
    emulator.appInsights.clear();
    const { rotateSasKeyFromQueue } = await import('../../src/functions/rotateSasKeyFromQueue');

    let threw = false;
    let result;
    try {
      result = await rotateSasKeyFromQueue(
        { target: { workflowId }, invocationId: 'fanout-dependent-run', force: false },
        functionInvocation('fanout-dependent-1', { dequeueCount: 1 }).context,
      );
    } catch {
      threw = true; // the host would retry the message
    }
    const { closeFunctionHandlerServices } = await import('../support/functionInvocation');
    await closeFunctionHandlerServices();

    expect(threw || result?.action).toBeTruthy();
    expect(result?.dependents?.[0]?.outcome ?? 'failed').toBe('failed');
    const recorded = emulator.appInsights.envelopes.filter((e) => JSON.stringify(e).includes('SasKeyDependentUpdateFailed'));
    expect(emulator.appInsights.envelopes.some((e) => JSON.stringify(e).includes('SasKeyRotated'))).toBe(true);
    // Either the failure is on record now, or the message comes back so that a later attempt records it.
    expect(threw || recorded.length === 1).toBe(true);
  }, 60_000);
});
