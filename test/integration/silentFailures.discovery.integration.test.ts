import { resolveTargets } from '../../src/composition/resolveTargets';
import { armForbidden, armThrottledForAnHour } from '../support/armFaults';
import { rotationEnabledTags } from '../support/constants';
import { runCliInProcess } from '../support/cliInProcess';
import { addRequestWorkflow, addTaggedWorkflow, settingsFor, subscriptionSequence, useEmulator } from '../support/emulatorEnvironment';
import { expectNoIssuedSecrets, ProducedOutput } from '../support/expectNoIssuedSecrets';
import {
  closeFunctionHandlerServices,
  freshQueueWorker,
  functionInvocation,
  ingestedEvents,
  timerTrigger,
  useDiscoverySettings,
} from '../support/functionInvocation';
import { useRotationServices } from '../support/rotationServices';

/**
 * No silent non-rotation (issue 11, docs/design.md §10, the invariant): every way in which discovery used to lose
 * targets while the run reported success. Each run here goes through the timer handler, the queue
 * worker or the CLI, with the real SDK clients against the emulator, and checks the events that the
 * alert rules query.
 */
const emulator = useEmulator({ callsFunctionHandlers: true });
const rotationServices = useRotationServices(emulator);
const output = new ProducedOutput();
const discover = useDiscoverySettings();

const newSubscription = subscriptionSequence('5ca1ab1e');

const invocation = (invocationId: string, dequeueCount?: number) => functionInvocation(invocationId, { dequeueCount, output });

/** The customDimensions of the events `name` of one invocation, as ingested. */
const events = (name: string, invocationId: string) => ingestedEvents(emulator, name, invocationId);

async function runTimer(invocationId: string) {
  const { rotateSasKeys } = await import('../../src/functions/rotateSasKeys');
  const { context, lines } = invocation(invocationId);
  const result = await rotateSasKeys(timerTrigger(), context);
  output.add(JSON.stringify(result));
  return { result, lines };
}

const cli = (argv: string[], env: Record<string, string>) => runCliInProcess(emulator, argv, env, { output });

describe('discovery problems are events and runs that are not a success', () => {
  it('a subscription that cannot be listed (403, 429 past the retry cap, 5xx) records SasKeyDiscoveryFailed and the run is not NothingDue', async () => {
    const subscription = newSubscription();
    discover(`/subscriptions/${subscription}`);
    emulator.faults.add(armForbidden('Workflows_ListBySubscription', subscription));
    emulator.faults.add(armThrottledForAnHour('WebApps_List', subscription));

    const { result } = await runTimer('scope-403');

    expect(result.outcome).toBe('Failed');
    const failures = await events('SasKeyDiscoveryFailed', 'scope-403');
    expect(failures).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          scope: `/subscriptions/${subscription}`,
          operation: 'Workflows_ListBySubscription',
          statusCode: '403',
          errorCode: 'AuthorizationFailed',
        }),
        expect.objectContaining({ scope: `/subscriptions/${subscription}`, operation: 'WebApps_List', statusCode: '429' }),
      ]),
    );
    expect(await events('SasKeyRotationRun', 'scope-403')).toEqual([
      expect.objectContaining({ outcome: 'Failed', discoveryProblems: '2' }),
    ]);
  });

  it('a listing answered 200 without a value array is a failed listing, never "no workflows here"', async () => {
    const subscription = newSubscription();
    addTaggedWorkflow(emulator, subscription, 'rg-malformed', 'hidden');
    emulator.logic.addStandardWorkflow({
      subscriptionId: subscription,
      resourceGroup: 'rg-malformed',
      site: 'la-hidden',
      name: 'intake',
      siteTags: rotationEnabledTags,
    });
    discover(`/subscriptions/${subscription}`);
    // The chaos schedules found this one: an error body with status 200 read as an empty list.
    emulator.faults.add({ operationId: 'Workflows_ListBySubscription', pathIncludes: subscription, status: 200 });
    emulator.faults.add({ operationId: 'WebApps_List', pathIncludes: subscription, status: 200 });

    const { result } = await runTimer('malformed-200');

    expect(result.outcome).toBe('Failed');
    expect(await events('SasKeyDiscoveryFailed', 'malformed-200')).toEqual([
      expect.objectContaining({ operation: 'Workflows_ListBySubscription', errorCode: 'MalformedListAnswer' }),
      expect.objectContaining({ operation: 'WebApps_List', errorCode: 'RequestFailed' }),
    ]);
  });

  it('a resource group whose listing fails with 5xx still lets the listed targets rotate, and the run is PartiallyFailed', async () => {
    const subscription = newSubscription();
    const listed = addRequestWorkflow(emulator, 'listed-beside-5xx');
    emulator.logic.addResourceGroup(subscription, 'rg-flaky');
    discover(`/subscriptions/${subscription}/resourceGroups/rg-flaky`, [{ workflowId: listed, secretName: 'listed-beside-5xx' }]);
    emulator.faults.add({ operationId: 'Workflows_ListByResourceGroup', pathIncludes: subscription, status: 503, times: Infinity });

    const { result } = await runTimer('rg-503');

    expect(result.outcome).toBe('PartiallyFailed');
    expect(result.targets).toEqual([expect.objectContaining({ workflowId: listed, action: 'rotated' })]);
    expect(await events('SasKeyDiscoveryFailed', 'rg-503')).toEqual([
      expect.objectContaining({
        scope: `/subscriptions/${subscription}/resourceGroups/rg-flaky`,
        operation: 'Workflows_ListByResourceGroup',
        statusCode: '503',
      }),
    ]);
  });

  it('one Standard site whose workflows cannot be listed hides no other site, and the problem names that site', async () => {
    const subscription = newSubscription();
    const broken = emulator.logic.addStandardWorkflow({
      subscriptionId: subscription,
      resourceGroup: 'rg-sites',
      site: 'la-broken',
      name: 'intake',
      siteTags: rotationEnabledTags,
    });
    const healthy = emulator.logic.addStandardWorkflow({
      subscriptionId: subscription,
      resourceGroup: 'rg-sites',
      site: 'la-healthy',
      name: 'intake',
      siteTags: rotationEnabledTags,
    });
    discover(`/subscriptions/${subscription}`);
    emulator.faults.add({ operationId: 'WebApps_ListWorkflows', pathIncludes: '/sites/la-broken/', status: 500, times: Infinity });

    const { result } = await runTimer('site-500');

    expect(result.targets).toEqual([expect.objectContaining({ workflowId: healthy, action: 'rotated' })]);
    expect(result.outcome).toBe('PartiallyFailed');
    const siteId = broken.replace(/\/workflows\/intake$/, '');
    expect(await events('SasKeyDiscoveryFailed', 'site-500')).toEqual([
      expect.objectContaining({ resourceId: siteId, operation: 'WebApps_ListWorkflows', statusCode: '500' }),
    ]);
  });

  it('two tagged workflows with the same name in different resource groups: one keeps the default secret, the other fails loudly on every run', async () => {
    const subscription = newSubscription();
    const first = addTaggedWorkflow(emulator, subscription, 'rg-b', 'orders-intake');
    const second = addTaggedWorkflow(emulator, subscription, 'rg-a', 'orders-intake');
    discover(`/subscriptions/${subscription}`);

    for (const run of ['collision-1', 'collision-2']) {
      const { result } = await runTimer(run);
      // The winner does not depend on the order ARM lists them in: the lower resource ID keeps the name.
      expect(result.targets).toEqual([expect.objectContaining({ workflowId: second, secretName: 'orders-intake-manual-url' })]);
      expect(result.outcome).not.toMatch(/^(Succeeded|NothingDue)$/);
      expect(await events('SasKeyDiscoveryFailed', run)).toEqual([
        expect.objectContaining({
          resourceId: first,
          errorCode: 'SecretNameCollision',
          message: expect.stringMatching(/sas-rotation-secret/),
        }),
      ]);
    }
    expect(emulator.keyVault.latest('orders-intake-manual-url')?.tags.workflowId).toBe(second);
  });

  it('a nextLink that loops: discovery stops at the repeated link, warns once, and the listed targets rotate long before the deadline', async () => {
    const subscription = newSubscription();
    const listed = addTaggedWorkflow(emulator, subscription, 'rg-loop', 'listed-and-tagged');
    const tagged = addTaggedWorkflow(emulator, subscription, 'rg-loop', 'tagged-only');
    discover(`/subscriptions/${subscription}`, [{ workflowId: listed, secretName: 'loop-listed' }]);
    emulator.logic.pagingFaults.add({ operationId: 'Workflows_ListBySubscription', kind: 'loop' });

    const { result, lines } = await runTimer('loop');

    expect(result.targets).toEqual([
      expect.objectContaining({ workflowId: listed, action: 'rotated' }),
      expect.objectContaining({ workflowId: tagged, action: 'rotated' }),
    ]);
    expect(result.outcome).toBe('PartiallyFailed');
    expect(lines.filter((line) => /both listed and tagged/.test(line))).toHaveLength(1);
    expect(await events('SasKeyDiscoveryFailed', 'loop')).toEqual([
      expect.objectContaining({ operation: 'Workflows_ListBySubscription', errorCode: 'PagingLoop' }),
    ]);
  }, 60_000);

  it('a nextLink that never ends stops at the documented page cap', async () => {
    const subscription = newSubscription();
    addTaggedWorkflow(emulator, subscription, 'rg-endless', 'tagged');
    const settings = settingsFor(emulator, [], { ROTATION_DISCOVERY: `/subscriptions/${subscription}`, ROTATION_TARGETS: '' });
    const services = rotationServices.create(settings, { discovery: { maxPages: 5 } });
    emulator.logic.pagingFaults.add({ operationId: 'Workflows_ListBySubscription', kind: 'endless' });

    const resolved = await resolveTargets(settings, services);

    expect(resolved.targets.map((t) => t.workflowId)).toHaveLength(1);
    expect(resolved.problems).toEqual([
      expect.objectContaining({
        operation: 'Workflows_ListBySubscription',
        errorCode: 'PageLimitReached',
        message: expect.stringMatching(/5 pages/),
      }),
    ]);
    expect(emulator.requests.filter((r) => r.operationId === 'Workflows_ListBySubscription' && r.path.includes(subscription))).toHaveLength(
      5,
    );
  }, 60_000);

  it('discovery has its own time budget inside the run: a scope that answers too slowly is a problem, and the listed targets still rotate', async () => {
    const subscription = newSubscription();
    const settings = settingsFor(emulator, [], { ROTATION_DISCOVERY: `/subscriptions/${subscription}`, ROTATION_TARGETS: '' });
    const services = rotationServices.create(settings, { discovery: { budgetMs: 300 } });
    emulator.faults.add({ operationId: 'Workflows_ListBySubscription', pathIncludes: subscription, delayMs: 5_000 });

    const resolved = await resolveTargets(settings, services);

    expect(resolved.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          scope: `/subscriptions/${subscription}`,
          errorCode: 'DiscoveryTimedOut',
          message: expect.stringMatching(/0\.3 s/),
        }),
      ]),
    );
  });

  it('the CLI has the same bounds: a looping nextLink ends the listing, the listed target rotates, and the exit status says it was incomplete', async () => {
    const subscription = newSubscription();
    const listed = addRequestWorkflow(emulator, 'cli-loop');
    addTaggedWorkflow(emulator, subscription, 'rg-cli-loop', 'tagged');
    emulator.logic.pagingFaults.add({ operationId: 'Workflows_ListBySubscription', kind: 'loop' });

    const { status, stdout, stderr } = await cli(['rotate', '--json'], {
      ROTATION_DISCOVERY: `/subscriptions/${subscription}`,
      ROTATION_TARGETS: JSON.stringify([{ workflowId: listed, secretName: 'cli-loop-listed' }]),
    });

    expect(status).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.outcome).toBe('PartiallyFailed');
    expect(report.targets.map((t: { action: string }) => t.action)).toEqual(['rotated', 'rotated']);
    expect(report.discoveryProblems).toEqual([expect.objectContaining({ errorCode: 'PagingLoop' })]);
    expect(stderr).toMatch(/Discovery problem: .*nextLink/);
  }, 60_000);

  it('accepts resource group names with Unicode letters, in ROTATION_DISCOVERY and in listed workflow IDs', async () => {
    const subscription = newSubscription();
    const tagged = addTaggedWorkflow(emulator, subscription, 'rg-Müller', 'bestellungen');
    const listed = emulator.logic.addWorkflow({ subscriptionId: subscription, resourceGroup: 'rg-Ærø_(prod)', name: 'rechnungen' });
    discover(`/subscriptions/${subscription}/resourceGroups/rg-Müller`, [{ workflowId: listed }]);

    const { result } = await runTimer('unicode');

    expect(result.outcome).toBe('Succeeded');
    expect(result.targets).toEqual([
      expect.objectContaining({ workflowId: listed, action: 'rotated' }),
      expect.objectContaining({ workflowId: tagged, action: 'rotated' }),
    ]);
  });
});

describe('fan-out workers never drop a rotation because its resource could not be read', () => {
  it('a message for a discovered target is retried while its GET fails, never rejected, and rotates once ARM answers', async () => {
    const subscription = newSubscription();
    const workflowId = addTaggedWorkflow(emulator, subscription, 'rg-fanout', 'discovered');
    discover(`/subscriptions/${subscription}`);
    const { rotateSasKeyFromQueue } = await import('../../src/functions/rotateSasKeyFromQueue');
    emulator.faults.add({ operationId: 'Workflows_Get', pathIncludes: subscription, status: 429, retryAfterSeconds: 3600 });

    const message = { target: { workflowId }, invocationId: 'fanout-run', force: false };
    await expect(rotateSasKeyFromQueue(message, invocation('worker-1', 1).context)).rejects.toThrow(/could not be confirmed.*retried/i);
    expect(await events('SasKeyRotationFailed', 'worker-1')).toEqual([]);
    const result = await rotateSasKeyFromQueue(message, invocation('worker-2', 2).context);

    expect(result).toMatchObject({ workflowId, action: 'rotated' });
  });

  it('on the last attempt, a target whose resource still cannot be read is recorded as a failure (TargetNotConfirmed), not dropped silently', async () => {
    const subscription = newSubscription();
    const workflowId = addTaggedWorkflow(emulator, subscription, 'rg-fanout', 'unconfirmed');
    discover(`/subscriptions/${subscription}`);
    const { rotateSasKeyFromQueue, maxDequeueCount } = await import('../../src/functions/rotateSasKeyFromQueue');
    emulator.faults.add({ operationId: 'Workflows_Get', pathIncludes: subscription, status: 403, times: Infinity });

    const result = await rotateSasKeyFromQueue(
      { target: { workflowId }, invocationId: 'fanout-run' },
      invocation('worker-last', maxDequeueCount).context,
    );

    expect(result).toMatchObject({ workflowId, action: 'failed', error: { code: 'TargetNotConfirmed', statusCode: 403 } });
    expect(await events('SasKeyRotationFailed', 'fanout-run')).toEqual([
      expect.objectContaining({ workflowId, errorCode: 'TargetNotConfirmed', statusCode: '403' }),
    ]);
  });

  it('concurrent messages on a cold worker list nothing: one GET per message', async () => {
    const subscription = newSubscription();
    const workflowIds = Array.from({ length: 16 }, (_, i) => addTaggedWorkflow(emulator, subscription, 'rg-cold', `cold-${i}`));
    discover(`/subscriptions/${subscription}`);
    const worker = freshQueueWorker();
    const requests = (operationId: string) =>
      emulator.requests.filter((r) => r.operationId === operationId && r.path.includes(subscription)).length;

    const results = await Promise.all(
      workflowIds.map((workflowId, i) => worker.rotateSasKeyFromQueue({ target: { workflowId } }, invocation(`cold-${i}`, 1).context)),
    );

    expect(results.map((r) => r?.action)).toEqual(Array(16).fill('rotated'));
    expect(requests('Workflows_ListBySubscription') + requests('WebApps_List')).toBe(0);
    expect(requests('Workflows_Get')).toBe(16);
  });

  /** A tagged workflow in the one subscription of a new management group, the only discovery scope. */
  const managementGroupTarget = (name: string) => {
    const subscription = newSubscription();
    const group = `mg-of-${name}`;
    emulator.resourceGraph.addManagementGroup(group, [subscription]);
    discover(`/providers/Microsoft.Management/managementGroups/${group}`);
    return { group, workflowId: addTaggedWorkflow(emulator, subscription, 'rg-fanout', name) };
  };

  it('a management-group target whose Resource Graph query fails is retried, never rejected, and rotates once Resource Graph answers (the failure was not cached)', async () => {
    const { workflowId } = managementGroupTarget('unanswered');
    const { rotateSasKeyFromQueue } = await import('../../src/functions/rotateSasKeyFromQueue');
    emulator.faults.add({ operationId: 'Resources', status: 403, errorCode: 'AuthorizationFailed' });
    const before = emulator.requests.length;
    const queries = () => emulator.requests.slice(before).filter((r) => r.operationId === 'Resources').length;

    const message = { target: { workflowId }, invocationId: 'mg-fanout-run' };
    await expect(rotateSasKeyFromQueue(message, invocation('mg-worker-1', 1).context)).rejects.toThrow(
      /Resources.*AuthorizationFailed.*could not be confirmed.*retried/i,
    );
    const result = await rotateSasKeyFromQueue(message, invocation('mg-worker-2', 2).context);

    expect(result).toMatchObject({ workflowId, action: 'rotated' });
    expect(queries()).toBe(2);
    expect(await events('SasKeyRotationFailed', 'mg-fanout-run')).toEqual([]);
  });

  it('on the last attempt, a management-group target whose group Resource Graph refuses is recorded (TargetNotConfirmed), not dropped', async () => {
    const { group, workflowId } = managementGroupTarget('refused');
    const { rotateSasKeyFromQueue, maxDequeueCount } = await import('../../src/functions/rotateSasKeyFromQueue');
    emulator.faults.add({ operationId: 'Resources', status: 400, errorCode: 'BadRequest', times: Infinity });

    const result = await rotateSasKeyFromQueue(
      { target: { workflowId }, invocationId: 'mg-fanout-last' },
      invocation('mg-worker-last', maxDequeueCount).context,
    );

    expect(result).toMatchObject({ workflowId, action: 'failed', error: { code: 'TargetNotConfirmed', statusCode: 400 } });
    expect(await events('SasKeyRotationFailed', 'mg-fanout-last')).toEqual([
      expect.objectContaining({
        workflowId,
        errorCode: 'TargetNotConfirmed',
        statusCode: '400',
        message: expect.stringContaining(`management group ${group}`),
      }),
    ]);
  });

  it("a configuration error in the worker is retried, then recorded as a failure of the message's target", async () => {
    const workflowId = addRequestWorkflow(emulator, 'worker-config');
    process.env.ROTATION_TARGETS = JSON.stringify([{ workflowId }]);
    process.env.ROTATION_INTERVAL_DAYS = '0';
    try {
      const { rotateSasKeyFromQueue, maxDequeueCount } = await import('../../src/functions/rotateSasKeyFromQueue');
      const message = { target: { workflowId }, invocationId: 'config-run' };
      await expect(rotateSasKeyFromQueue(message, invocation('config-1', 1).context)).rejects.toThrow(/ROTATION_INTERVAL_DAYS/);

      const result = await rotateSasKeyFromQueue(message, invocation('config-last', maxDequeueCount).context);

      expect(result).toMatchObject({ workflowId, action: 'failed', error: { code: 'ConfigurationError' } });
      expect(await events('SasKeyRotationFailed', 'config-run')).toEqual([
        expect.objectContaining({ workflowId, errorCode: 'ConfigurationError', message: expect.stringMatching(/ROTATION_INTERVAL_DAYS/) }),
      ]);
    } finally {
      delete process.env.ROTATION_INTERVAL_DAYS;
    }
  });
});

describe('secret hygiene', () => {
  it('leaked no sig or token into any log line, report or telemetry envelope', async () => {
    await closeFunctionHandlerServices();
    expectNoIssuedSecrets([...output.texts, JSON.stringify(emulator.appInsights.envelopes)], emulator);
  });
});
