import type { RotatorSettings } from '../../src/composition/config';
import type { RotationServices } from '../../src/composition/createRotationServices';
import { resolveTargets } from '../../src/composition/resolveTargets';
import { runRotation } from '../../src/rotation/runRotation';
import { flowEnvironment, rotationEnabledTags } from '../support/constants';
import { addSiteWorkflow, addTaggedWorkflow, settingsFor, uniqueName, useEmulator } from '../support/emulatorEnvironment';
import { expectNoIssuedSecrets, ProducedOutput } from '../support/expectNoIssuedSecrets';
import { useRotationServices } from '../support/rotationServices';

/**
 * Every workflow host through the same protocol, Key Vault contract and telemetry: Logic Apps
 * Standard (two keys, alternation) and Power Automate (one key, hard cut), plus discovery by tag.
 */
const emulator = useEmulator();
const rotationServices = useRotationServices(emulator);
const produced = new ProducedOutput();
let runs = 0;

async function rotate(settings: RotatorSettings, services: RotationServices, targets = settings.targets) {
  const result = await runRotation(targets, services, { mode: 'rotate', invocationId: `hosts-${runs++}`, concurrency: 4 });
  await services.telemetry.flush();
  produced.addRun(result);
  return result;
}

describe('Logic Apps Standard', () => {
  it('alternates Secondary, Primary, Secondary through the site management API, every superseded URL working one more interval', async () => {
    const workflowId = addSiteWorkflow(emulator, uniqueName('la-orders'), 'intake');
    const settings = settingsFor(emulator, [{ workflowId, secretName: 'standard-intake-url' }]);
    const { services, advanceDays } = rotationServices.withClock(settings);
    const published: string[] = [];

    for (const expected of ['Secondary', 'Primary', 'Secondary']) {
      const result = await rotate(settings, services);
      expect(result.targets[0]).toMatchObject({ action: 'rotated', keyType: expected });
      published.push(emulator.keyVault.latest('standard-intake-url')?.value as string);
      expect(emulator.logic.isCallbackUrlValid(published.at(-1) as string)).toBe(true);
      if (published.length > 1) expect(emulator.logic.isCallbackUrlValid(published.at(-2) as string)).toBe(true);
      advanceDays(31);
    }
    expect(emulator.logic.isCallbackUrlValid(published[0] as string)).toBe(false);
    expect(emulator.keyVault.latest('standard-intake-url')?.tags).toMatchObject({ workflowId, managedBy: 'sas-rotator' });
  });

  it('repairs a published URL whose key was regenerated elsewhere, and isolates a broken workflow', async () => {
    const site = uniqueName('la-repair');
    const good = addSiteWorkflow(emulator, site, 'good');
    const timerOnly = addSiteWorkflow(emulator, site, 'nightly', { triggers: { Recurrence: 'Recurrence' } });
    const settings = settingsFor(emulator, [
      { workflowId: good, secretName: `${site}-good` },
      { workflowId: timerOnly, trigger: 'Recurrence', secretName: `${site}-nightly` },
    ]);
    const { services } = rotationServices.withClock(settings);
    const first = await rotate(settings, services);
    expect(first.targets.map((t) => t.action)).toEqual(['rotated', 'failed']);
    expect(first.targets[1]?.error).toMatchObject({ step: 'listBefore', statusCode: 400 });

    emulator.logic.regenerateAccessKey(good, 'Secondary');
    const repaired = await rotate(settings, services, settings.targets.slice(0, 1));

    expect(repaired.targets[0]).toMatchObject({ action: 'rotated', reason: 'repair', keyType: 'Secondary' });
    expect(emulator.logic.isCallbackUrlValid(emulator.keyVault.latest(`${site}-good`)?.value as string)).toBe(true);
  });
});

describe('Power Automate', () => {
  it.each([
    ['classic logic.azure.com URLs', { urlStyle: 'classic' as const }],
    ['environment.api.powerplatform.com URLs, answers wrapped in { response }', { urlStyle: 'environment' as const, wrapResponses: true }],
  ])('rotates with a hard cut (%s): the one key is regenerated and the fresh URL published at once', async (_label, options) => {
    const workflowId = emulator.flows.addFlow({ environment: flowEnvironment, ...options });
    const secretName = uniqueName('flow');
    const settings = settingsFor(emulator, [{ workflowId, secretName }]);
    const { services, advanceDays } = rotationServices.withClock(settings);
    emulator.appInsights.clear();

    const first = await rotate(settings, services);
    const firstUrl = emulator.keyVault.latest(secretName)?.value as string;
    advanceDays(31);
    const second = await rotate(settings, services);

    expect([first.targets[0]?.keyType, second.targets[0]?.keyType]).toEqual(['Primary', 'Primary']);
    expect(second.targets[0]).toMatchObject({ action: 'rotated', reason: 'interval' });
    expect(emulator.flows.keyVersionOf(workflowId)).toBe(2);
    expect(emulator.logic.isCallbackUrlValid(firstUrl)).toBe(false);
    expect(emulator.logic.isCallbackUrlValid(emulator.keyVault.latest(secretName)?.value as string)).toBe(true);
    const rotated = emulator.appInsights.envelopes.filter((e) => JSON.stringify(e).includes('"SasKeyRotated"'));
    expect(JSON.stringify(rotated)).toContain('"hardCut":"true"');
  });

  it('trusts the sig, not the answer: a regenerate that reports failure after changing the key still publishes', async () => {
    const workflowId = emulator.flows.addFlow({ environment: flowEnvironment });
    const secretName = uniqueName('flow-rejected');
    const settings = settingsFor(emulator, [{ workflowId, secretName }]);
    emulator.faults.add({ operationId: 'Flows_RegenerateAccessKey', status: 500, afterProcessing: true, times: Infinity });

    const result = await rotate(settings, rotationServices.withClock(settings).services);

    expect(result.targets[0]).toMatchObject({ action: 'rotated', keyType: 'Primary' });
    expect(emulator.logic.isCallbackUrlValid(emulator.keyVault.latest(secretName)?.value as string)).toBe(true);
  });

  it('reports and skips, without failing, a flow whose trigger accepts OAuth callers only', async () => {
    const workflowId = emulator.flows.addFlow({ environment: flowEnvironment, triggerAuthentication: 'oauth' });
    const settings = settingsFor(emulator, [{ workflowId, secretName: uniqueName('flow-oauth') }]);

    const result = await rotate(settings, rotationServices.withClock(settings).services);

    expect(result.outcome).toBe('NothingDue');
    expect(result.targets[0]).toMatchObject({ action: 'skipped', skipped: { code: 'NoSharedAccessSignature' } });
    expect(emulator.flows.keyVersionOf(workflowId)).toBe(0);
  });

  it('fails a flow that does not exist with the Flow service error, leaving the others alone', async () => {
    const real = emulator.flows.addFlow({ environment: flowEnvironment });
    const missing = `/providers/Microsoft.ProcessSimple/environments/${flowEnvironment}/flows/00000000-0000-0000-0000-00000000dead`;
    const settings = settingsFor(emulator, [
      { workflowId: missing, secretName: uniqueName('flow-missing') },
      { workflowId: real, secretName: uniqueName('flow-real') },
    ]);

    const result = await rotate(settings, rotationServices.withClock(settings).services);

    expect(result.targets[0]).toMatchObject({ action: 'failed', error: { step: 'listBefore', statusCode: 404, code: 'FlowNotFound' } });
    expect(result.targets[1]).toMatchObject({ action: 'rotated' });
  });
});

describe('discovery by tag', () => {
  it('finds tagged Consumption workflows and every workflow of a tagged Standard site; listed settings win', async () => {
    const sub = '22222222-3333-4444-8555-666666666666';
    const tagged = emulator.logic.addWorkflow({
      subscriptionId: sub,
      resourceGroup: 'rg-disc',
      name: 'tagged',
      tags: { 'sas-rotation': 'enabled', 'sas-rotation-secret': 'tagged-url', 'sas-rotation-interval-days': '14' },
    });
    const listedToo = addTaggedWorkflow(emulator, sub, 'rg-disc', 'listed-too');
    emulator.logic.addWorkflow({ subscriptionId: sub, resourceGroup: 'rg-disc', name: 'untagged' });
    const site = 'la-discovered';
    const siteWorkflow = emulator.logic.addStandardWorkflow({
      subscriptionId: sub,
      resourceGroup: 'rg-disc',
      site,
      name: 'webhook',
      siteTags: rotationEnabledTags,
    });
    const siteTimer = emulator.logic.addStandardWorkflow({
      subscriptionId: sub,
      resourceGroup: 'rg-disc',
      site,
      name: 'timer',
      triggers: { Recurrence: 'Recurrence' },
    });
    const settings = settingsFor(emulator, [{ workflowId: listedToo, secretName: 'listed-wins-url', intervalDays: 7 }], {
      ROTATION_DISCOVERY: `/subscriptions/${sub}`,
    });
    const { services } = rotationServices.withClock(settings);

    const resolved = await resolveTargets(settings, services);
    const result = await rotate(settings, services, resolved.targets);

    expect(resolved.problems).toEqual([]);
    expect(resolved.notes).toEqual([expect.stringMatching(/listed-too is both listed and tagged/)]);
    const byId = new Map(result.targets.map((t) => [t.workflowId.toLowerCase(), t]));
    expect(byId.size).toBe(4);
    expect(byId.get(tagged.toLowerCase())).toMatchObject({ action: 'rotated', secretName: 'tagged-url' });
    expect(resolved.targets.find((t) => t.workflowId === tagged)?.intervalDays).toBe(14);
    expect(byId.get(listedToo.toLowerCase())).toMatchObject({ action: 'rotated', secretName: 'listed-wins-url' });
    expect(byId.get(siteWorkflow.toLowerCase())).toMatchObject({ action: 'rotated', secretName: `${site}-webhook-manual-url` });
    expect(byId.get(siteTimer.toLowerCase())).toMatchObject({ action: 'skipped', skipped: { code: 'NoRequestTrigger' } });
  });

  it('reports a tagged workflow with a bad tag value instead of guessing', async () => {
    const sub = '33333333-3333-4444-8555-666666666666';
    emulator.logic.addWorkflow({
      subscriptionId: sub,
      resourceGroup: 'rg-bad',
      name: 'bad-tag',
      tags: { 'sas-rotation': 'enabled', 'sas-rotation-interval-days': 'monthly' },
    });
    const settings = settingsFor(emulator, [], { ROTATION_DISCOVERY: `/subscriptions/${sub}`, ROTATION_TARGETS: '' });
    const { services } = rotationServices.withClock(settings);

    const resolved = await resolveTargets(settings, services);

    expect(resolved.targets).toEqual([]);
    expect(resolved.problems).toEqual([
      expect.objectContaining({
        operation: 'readTags',
        errorCode: 'InvalidTag',
        message: expect.stringMatching(/intervalDays 'monthly' is out of range/),
      }),
    ]);
  });
});

describe('secret hygiene across hosts', () => {
  it('leaked no sig or token into any report or telemetry envelope', async () => {
    await rotationServices.flushTelemetry();
    expectNoIssuedSecrets(produced.texts, emulator);
  });
});
