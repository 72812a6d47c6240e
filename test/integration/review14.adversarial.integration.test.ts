import { parseCallbackUrl } from '../../src/rotation/CallbackUrl';
import { runRotation, type RotationRunResult } from '../../src/rotation/runRotation';
import { resourceGroupId, subscriptionId } from '../support/constants';
import { addRequestWorkflow, settingsFor, uniqueName, useEmulator, type TargetSpec } from '../support/emulatorEnvironment';
import { useRotationServices } from '../support/rotationServices';

/**
 * Adversarial review of issue 14 (dependents) with the real SDK clients against the emulator. Each
 * test failed when written: a dependent that calls something other than the target's trigger is
 * silently pointed at the target instead of being refused.
 */
const emulator = useEmulator();
const rotationServices = useRotationServices(emulator);
const providers = `${resourceGroupId}/providers`;

async function rotateOnce(spec: TargetSpec): Promise<RotationRunResult> {
  const settings = settingsFor(emulator, [spec]);
  const { services } = rotationServices.withClock(settings);
  return runRotation(settings.targets, services, { mode: 'rotate', invocationId: uniqueName('run'), concurrency: 1 });
}

describe('review 14: a dependent that calls another trigger or another workflow is not hijacked', () => {
  it("an action group's receiver for ANOTHER trigger of the same workflow keeps calling that trigger", async () => {
    // One workflow, two Request triggers: `manual` is the target; the on-call group also has a receiver for `alerts`.
    const workflowId = addRequestWorkflow(emulator, 'two-triggers', { manual: 'Request', alerts: 'Request' });
    const manualUrl = emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary');
    const alertsUrl = emulator.logic.currentCallbackUrl(workflowId, 'alerts', 'Primary');
    const group = emulator.monitor.seedActionGroup(`${providers}/Microsoft.Insights/actionGroups/${uniqueName('ag')}`, {
      logicAppReceivers: [
        { name: 'manual', resourceId: workflowId, callbackUrl: manualUrl },
        { name: 'alerts', resourceId: workflowId, callbackUrl: alertsUrl },
      ],
    });

    const result = await rotateOnce({ workflowId, secretName: uniqueName('two-triggers'), dependents: [group] });

    expect(result.targets[0]?.action).toBe('rotated');
    const receivers = (emulator.monitor.find(group)?.receivers.logicAppReceivers ?? []) as Array<{ name?: string; callbackUrl?: string }>;
    const alerts = receivers.find((receiver) => receiver.name === 'alerts');
    // Today it is given the `manual` trigger's URL: alerts now start the wrong trigger, silently.
    expect(parseCallbackUrl(String(alerts?.callbackUrl))?.signedPath).toBe('/triggers/alerts/run');
  });

  it('a named value that holds the URL of ANOTHER workflow is refused, not overwritten with ours', async () => {
    // The operator copied the wrong named value's ID: it feeds the invoices API, not the orders one.
    const workflowId = addRequestWorkflow(emulator, 'orders');
    const invoices = addRequestWorkflow(emulator, 'invoices');
    const invoicesUrl = emulator.logic.currentCallbackUrl(invoices, 'manual', 'Primary');
    const namedValue = emulator.apiManagement.seedNamedValue(
      `${providers}/Microsoft.ApiManagement/service/apim-front/namedValues/${uniqueName('invoices-url')}`,
      { value: invoicesUrl, secret: true },
    );

    const result = await rotateOnce({ workflowId, secretName: uniqueName('orders'), dependents: [namedValue] });

    // Today: 'updated' — the invoices API now calls the orders workflow, and nobody is told.
    expect(emulator.apiManagement.valueOf(namedValue)).toBe(invoicesUrl);
    expect(result.targets[0]?.dependents?.[0]?.outcome).toBe('failed');
  });

  it('an Event Grid subscription that delivers to ANOTHER workflow is refused, not redirected to ours', async () => {
    const workflowId = addRequestWorkflow(emulator, 'orders-eg');
    const invoices = addRequestWorkflow(emulator, 'invoices-eg');
    const invoicesUrl = emulator.logic.currentCallbackUrl(invoices, 'manual', 'Primary');
    const subscription = emulator.eventGrid.seedEventSubscription(
      `/subscriptions/${subscriptionId}/providers/Microsoft.EventGrid/eventSubscriptions/${uniqueName('es')}`,
      { endpointUrl: invoicesUrl },
    );

    const result = await rotateOnce({ workflowId, secretName: uniqueName('orders-eg'), dependents: [subscription] });

    // Today: the invoice events are delivered to the orders workflow from now on.
    expect(emulator.eventGrid.endpointUrl(subscription)).toBe(invoicesUrl);
    expect(result.targets[0]?.dependents?.[0]?.outcome).toBe('failed');
  });
});
