import { dependentUpdateRoleActions } from '../../src/azure/dependentUpdateRoleActions';
import type { RotationServices } from '../../src/composition/createRotationServices';
import { parseCallbackUrl } from '../../src/rotation/CallbackUrl';
import { inspectTarget } from '../../src/rotation/inspectTarget';
import { runRotation, type RotationRunResult } from '../../src/rotation/runRotation';
import { resolveTargets } from '../../src/composition/resolveTargets';
import { resourceGroupId, rotationEnabledTags, subscriptionId } from '../support/constants';
import { addRequestWorkflow, settingsFor, subscriptionSequence, uniqueName, useEmulator } from '../support/emulatorEnvironment';
import { expectNoIssuedSecrets, ProducedOutput } from '../support/expectNoIssuedSecrets';
import { useRotationServices } from '../support/rotationServices';

/**
 * Dependents end to end (docs/design.md §12): the protocol with the real SDK clients of API Management,
 * Monitor and Event Grid against the emulator, across rotations, with failed updates, long-running
 * operations that fail or never end, and faults on every dependent call. The invariant checked after
 * every step: every published URL works, and so does the URL every dependent would call.
 */
const emulator = useEmulator();
const rotationServices = useRotationServices(emulator);
const produced = new ProducedOutput();
const providers = `${resourceGroupId}/providers`;
const newSubscription = subscriptionSequence('de9e0de0');

afterEach(() => {
  emulator.apiManagement.longRunning.reset();
  emulator.eventGrid.resetUpdateBehaviour();
});

/** A workflow whose callers are an APIM named value holding its sig, an action group and an Event Grid subscription, all on the portal URL. */
function estate() {
  const workflowId = addRequestWorkflow(emulator, 'dependents');
  const portal = emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary');
  const namedValue = emulator.apiManagement.seedNamedValue(
    `${providers}/Microsoft.ApiManagement/service/apim-front/namedValues/${uniqueName('sig')}`,
    {
      value: parseCallbackUrl(portal)?.sig,
      secret: true,
      callsWorkflow: { workflowId, trigger: 'manual' },
    },
  );
  const actionGroup = emulator.monitor.seedActionGroup(`${providers}/Microsoft.Insights/actionGroups/${uniqueName('ag')}`, {
    logicAppReceivers: [{ name: 'orders', resourceId: workflowId, callbackUrl: portal }],
  });
  const eventSubscription = emulator.eventGrid.seedEventSubscription(
    `/subscriptions/${subscriptionId}/providers/Microsoft.EventGrid/eventSubscriptions/${uniqueName('es')}`,
    { endpointUrl: portal },
  );
  const dependents = [namedValue, actionGroup, eventSubscription];
  const secretName = uniqueName('dependents-url');
  const settings = settingsFor(emulator, [{ workflowId, secretName, dependents }]);
  const { services, advanceDays } = rotationServices.withClock(settings);
  const rotate = async (mode: 'rotate' | 'dryRun' = 'rotate', abortSignal?: AbortSignal): Promise<RotationRunResult> => {
    const result = await runRotation(settings.targets, services, { mode, invocationId: uniqueName('run'), concurrency: 1, abortSignal });
    produced.addRun(result);
    return result;
  };
  const works = {
    [namedValue]: () => emulator.apiManagement.urlWorks(namedValue),
    [actionGroup]: () => emulator.monitor.urlWorks(actionGroup, workflowId),
    [eventSubscription]: () => emulator.eventGrid.urlWorks(eventSubscription),
  };
  const everyUrlWorks = (): Record<string, boolean> => ({
    published: emulator.logic.isCallbackUrlValid(emulator.keyVault.latest(secretName)?.value ?? portal),
    ...Object.fromEntries(dependents.map((id) => [id, works[id]?.() ?? false])),
  });
  const allWorking = Object.fromEntries([['published', true], ...dependents.map((id) => [id, true])]);
  return {
    workflowId,
    portal,
    namedValue,
    actionGroup,
    eventSubscription,
    dependents,
    settings,
    services,
    advanceDays,
    rotate,
    everyUrlWorks,
    allWorking,
  };
}

function regenerations(workflowId: string): number {
  return emulator.requests.filter(
    (r) => r.operationId === 'Workflows_RegenerateAccessKey' && r.path.includes(workflowId.split('/').pop() as string),
  ).length;
}

async function status(services: RotationServices, settings: ReturnType<typeof estate>['settings']) {
  return inspectTarget(settings.targets[0] as (typeof settings.targets)[0], services);
}

describe('dependents kept in step through their management APIs (real SDK clients, emulator)', () => {
  it('every dependent holds a working URL across three rotations, while an unmanaged copy of the first URL dies', async () => {
    const { portal, dependents, advanceDays, rotate, everyUrlWorks, allWorking, services, settings, workflowId } = estate();
    for (let rotation = 1; rotation <= 3; rotation++) {
      const result = await rotate();
      expect(result.outcome).toBe('Succeeded');
      expect(result.targets[0]?.dependents?.map((d) => d.outcome)).toEqual(['updated', 'updated', 'updated']);
      expect(everyUrlWorks()).toEqual(allWorking);
      // The portal URL (Primary) dies at the second rotation: only callers sas-rotator knows about are kept.
      expect(emulator.logic.isCallbackUrlValid(portal)).toBe(rotation < 2);
      const report = await status(services, settings);
      expect(report.dependents?.map((d) => [d.resourceId, d.holds])).toEqual(dependents.map((id) => [id, 'latest']));
      advanceDays(31);
    }
    expect(regenerations(workflowId)).toBe(3);
  });

  it.each([
    ['API Management named value', 'NamedValue_Update', 'namedValue'],
    ['action group', 'ActionGroups_CreateOrUpdate', 'actionGroup'],
    ['Event Grid event subscription', 'EventSubscriptions_Update', 'eventSubscription'],
  ] as const)(
    'a failed update of an %s blocks the next regeneration of the key it holds, and nothing else breaks',
    async (_kind, operationId, which) => {
      const seeded = estate();
      const { advanceDays, rotate, everyUrlWorks, allWorking, services, settings, workflowId } = seeded;
      const refused = seeded[which];
      await rotate();
      advanceDays(31);
      emulator.faults.add({ operationId, status: 403, errorCode: 'AuthorizationFailed', times: Infinity });
      const second = await rotate();
      expect(second.outcome).toBe('PartiallyFailed');
      expect(second.targets[0]).toMatchObject({ action: 'rotated' });
      expect(second.targets[0]?.dependents?.find((d) => d.resourceId === refused)).toMatchObject({
        outcome: 'failed',
        error: { statusCode: 403 },
      });
      expect(second.targets[0]?.dependents?.filter((d) => d.outcome === 'updated')).toHaveLength(2);
      expect(everyUrlWorks()).toEqual(allWorking);
      expect((await status(services, settings)).dependents?.find((d) => d.resourceId === refused)?.holds).toBe('older');

      advanceDays(31);
      const before = regenerations(workflowId);
      const third = await rotate();
      expect(third.targets[0]).toMatchObject({ action: 'failed', error: { step: 'dependents', code: 'DependentNotUpdated' } });
      expect(third.targets[0]?.error?.message).toContain(refused);
      expect(regenerations(workflowId)).toBe(before);
      expect(everyUrlWorks()).toEqual(allWorking);

      emulator.faults.clear();
      const fourth = await rotate();
      expect(fourth.outcome).toBe('Succeeded');
      expect(everyUrlWorks()).toEqual(allWorking);
    },
  );

  it('a long-running update that fails, or never completes before the deadline, leaves every URL working and is retried first', async () => {
    const { advanceDays, rotate, everyUrlWorks, allWorking, eventSubscription, namedValue } = estate();
    await rotate();
    advanceDays(31);
    emulator.apiManagement.longRunning.add({ outcome: 'failed', times: 1 });
    emulator.eventGrid.nextUpdate({ outcome: 'neverCompletes' });
    const second = await rotate('rotate', AbortSignal.timeout(15_000));
    const outcomes = Object.fromEntries((second.targets[0]?.dependents ?? []).map((d) => [d.resourceId, d.outcome]));
    expect(outcomes[namedValue]).toBe('failed');
    // Azure's code of the failed operation is kept; the SDK reports it as a plain Error.
    expect(second.targets[0]?.dependents?.find((d) => d.resourceId === namedValue)?.error).toMatchObject({ code: 'DependentUpdateFailed' });
    expect(outcomes[eventSubscription]).toBe('failed');
    expect(everyUrlWorks()).toEqual(allWorking);

    advanceDays(31);
    const third = await rotate();
    expect(third.outcome).toBe('Succeeded');
    expect(everyUrlWorks()).toEqual(allWorking);
  }, 60_000);

  it('faults on every dependent call leave every published URL and every dependent URL working', async () => {
    // Every call the dependent-update role exists for: named value get, listValue and update, action group
    // get and createOrUpdate, event subscription get, getFullUrl and update.
    const operations = [...new Set(dependentUpdateRoleActions.flatMap((entry) => entry.neededBy))];
    expect(operations).toHaveLength(8);
    for (const operationId of operations) {
      for (const fault of [
        { status: 500, times: 5 },
        { dropConnection: true, times: 5 },
        { status: 404, errorCode: 'ResourceNotFound', times: 1 },
      ]) {
        const { advanceDays, rotate, everyUrlWorks, allWorking } = estate();
        await rotate();
        advanceDays(31);
        emulator.faults.add({ operationId, ...fault });
        await rotate();
        expect({ operationId, fault, urls: everyUrlWorks() }).toEqual({ operationId, fault, urls: allWorking });
        emulator.faults.clear();
        advanceDays(31);
        await rotate();
        expect({ operationId, fault, afterRecovery: everyUrlWorks() }).toEqual({ operationId, fault, afterRecovery: allWorking });
      }
    }
  }, 180_000);

  it('discovery reads dependents from the sas-rotation-dependents tags, and refuses a tag it would not read', async () => {
    const subscription = newSubscription();
    const actionGroup = `${providers}/Microsoft.Insights/actionGroups/${uniqueName('ag')}`;
    const namedValue = `${providers}/Microsoft.ApiManagement/service/apim-front/namedValues/${uniqueName('nv')}`;
    const tagged = emulator.logic.addWorkflow({
      subscriptionId: subscription,
      resourceGroup: 'rg-tagged',
      name: 'tagged-with-dependents',
      tags: { ...rotationEnabledTags, 'sas-rotation-dependents': `${actionGroup} ; `, 'sas-rotation-dependents-2': namedValue },
    });
    const mistagged = emulator.logic.addWorkflow({
      subscriptionId: subscription,
      resourceGroup: 'rg-tagged',
      name: 'tagged-beyond-nine',
      tags: { ...rotationEnabledTags, 'sas-rotation-dependents-10': actionGroup },
    });
    const settings = settingsFor(emulator, [], { ROTATION_DISCOVERY: `/subscriptions/${subscription}` });
    const resolved = await resolveTargets(settings, rotationServices.create(settings));

    expect(resolved.targets.map((t) => [t.workflowId, t.dependents?.map((d) => d.kind)])).toEqual([
      [tagged, ['actionGroup', 'apimNamedValue']],
    ]);
    expect(resolved.problems).toEqual([
      expect.objectContaining({
        resourceId: mistagged,
        errorCode: 'InvalidTag',
        message: expect.stringMatching(/tag 'sas-rotation-dependents-10' is not read/),
      }),
    ]);
  });

  it('--dry-run lists the dependents it would update and changes none', async () => {
    const { rotate, dependents, namedValue } = estate();
    const before = emulator.apiManagement.valueOf(namedValue);
    const result = await rotate('dryRun');
    expect(result.targets[0]?.dependents?.map((d) => [d.resourceId, d.outcome])).toEqual(dependents.map((id) => [id, 'planned']));
    expect(emulator.apiManagement.valueOf(namedValue)).toBe(before);
  });

  it('leaked no sig or token into any report or telemetry envelope of the runs above', async () => {
    await rotationServices.flushTelemetry();
    expectNoIssuedSecrets(produced.texts, emulator);
  });
});
