import type { FaultRule } from '../../emulator/index';
import type { RetrySettings } from '../../src/azure/core/azureRetryPolicy';
import type { RotationServices } from '../../src/composition/createRotationServices';
import { recordDiscoveryProblems, resolveTargets } from '../../src/composition/resolveTargets';
import { describeTargetResult } from '../../src/rotation/describeTargetResult';
import { inspectTarget } from '../../src/rotation/inspectTarget';
import type { RotationTarget } from '../../src/rotation/RotationTarget';
import { runRotation, type RotationRunResult } from '../../src/rotation/runRotation';
import { minute, resourceGroupId, rotationEnabledTags } from '../support/constants';
import { addRequestWorkflow, settingsFor, subscriptionSequence, useEmulator } from '../support/emulatorEnvironment';
import { expectNoIssuedSecrets, ProducedOutput } from '../support/expectNoIssuedSecrets';
import { RecordingTelemetry } from '../support/RecordingTelemetry';
import { useRotationServices } from '../support/rotationServices';

/**
 * Randomized, seeded fault schedules: each schedule runs a few rotations of two listed targets and
 * one discovered by tag, the way the timer does (discover, record discovery problems, rotate),
 * while the emulator injects random faults — discovery listings and broken nextLinks included — and
 * a random "crash" or deadline (the run is cancelled mid-request). Two invariants are checked:
 * every published URL works, after every single emulator request; and no silent non-rotation,
 * after every run: each target that was due is rotated or has a SasKeyRotationFailed of that run
 * (with step and errorCode), a discovered target that the run did not see has a SasKeyDiscoveryFailed
 * of that run, and such a run's outcome is never Succeeded or NothingDue.
 * Reproduce one schedule with CHAOS_SEED=<seed> npm run test:chaos.
 */
const scheduleCount = Number(process.env.CHAOS_SCHEDULES ?? 200);
const seeds = process.env.CHAOS_SEED ? [Number(process.env.CHAOS_SEED)] : Array.from({ length: scheduleCount }, (_, i) => i + 1);
/** Short waits; Retry-After above the cap fails the target, which the schedule must survive too. */
const chaosRetry: RetrySettings = { maxRetries: 2, maxThrottledRetries: 2, initialDelayInMs: 5, maxDelayInMs: 20, maxSingleWaitInMs: 200 };

/** mulberry32: a tiny seeded PRNG, so a failing schedule can be replayed exactly. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const operations = [
  'GetSecret',
  'WorkflowTriggers_ListCallbackUrl',
  'Workflows_RegenerateAccessKey',
  'SetSecret',
  'Track',
  'ManagedIdentityToken',
  'Workflows_ListBySubscription',
  'WebApps_List',
  // Dependents (docs/design.md §12): an APIM named value holding the sig, an action group holding the URL.
  'NamedValue_Get',
  'NamedValue_ListValue',
  'NamedValue_Update',
  'ActionGroups_Get',
  'ActionGroups_CreateOrUpdate',
];
const faultKinds: ReadonlyArray<Omit<FaultRule, 'operationId'>> = [
  { status: 500 },
  { status: 503 },
  { status: 408 },
  { status: 429, retryAfterSeconds: 1 },
  { dropConnection: true },
  { status: 500, afterProcessing: true },
  { status: 503, afterProcessing: true },
  { dropConnection: true, afterProcessing: true },
  { status: 200 },
];

// Schedules run back to back far faster than real time: ARM's write bucket would run dry and
// turn every later schedule into a throttling test. Throttling is covered by injected 429s.
const emulator = useEmulator({
  armWriteThrottle: { capacity: 1_000_000, refillPerSecond: 1_000_000 },
  // The dependents' GETs are ARM reads, whose bucket would run dry the same way.
  armReadThrottle: { capacity: 1_000_000, refillPerSecond: 1_000_000 },
  // Key Vault's secret buckets likewise (their own throttling is covered in test/emulator and test/integration).
  keyVaultThrottle: false,
});
const rotationServices = useRotationServices(emulator);
const produced = new ProducedOutput();

/** Telemetry that keeps every event for the invariant check and still sends it to the emulator. */
function recordingAndSending(real: RotationServices['telemetry']): RecordingTelemetry {
  const recording = new RecordingTelemetry();
  return Object.assign(recording, {
    trackTargetRotated: (event: Parameters<RecordingTelemetry['trackTargetRotated']>[0]) => (
      recording.rotated.push(event),
      real.trackTargetRotated(event)
    ),
    trackTargetFailed: (event: Parameters<RecordingTelemetry['trackTargetFailed']>[0]) => (
      recording.failed.push(event),
      real.trackTargetFailed(event)
    ),
    trackDiscoveryFailed: (event: Parameters<RecordingTelemetry['trackDiscoveryFailed']>[0]) => (
      recording.discoveryFailed.push(event),
      real.trackDiscoveryFailed(event)
    ),
    trackRun: (event: Parameters<RecordingTelemetry['trackRun']>[0]) => (recording.runs.push(event), real.trackRun(event)),
    flush: () => real.flush(),
  });
}

/** One tagged workflow per schedule, in a subscription of its own. */
const newSubscription = subscriptionSequence('c4a05000');

async function runSchedule(seed: number): Promise<void> {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const workflows = [addRequestWorkflow(emulator, `chaos-${seed}`), addRequestWorkflow(emulator, `chaos-${seed}`)];
  const secretNames = workflows.map((_, i) => `chaos-${seed}-${i}`);
  // Each listed workflow has a dependent that keeps its own copy of the portal (Primary) URL.
  const portal = workflows.map((workflowId) => emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary'));
  const namedValue = emulator.apiManagement.seedNamedValue(
    `${resourceGroupId}/providers/Microsoft.ApiManagement/service/apim-chaos/namedValues/chaos-${seed}`,
    {
      value: new URL(portal[0] as string).searchParams.get('sig') ?? '',
      secret: true,
      callsWorkflow: { workflowId: workflows[0] as string, trigger: 'manual' },
    },
  );
  const actionGroup = emulator.monitor.seedActionGroup(`${resourceGroupId}/providers/Microsoft.Insights/actionGroups/chaos-${seed}`, {
    logicAppReceivers: [{ name: 'chaos', resourceId: workflows[1] as string, callbackUrl: portal[1] as string }],
  });
  const dependentWorks = (): string[] =>
    [
      emulator.apiManagement.urlWorks(namedValue) ? undefined : `APIM named value ${namedValue}`,
      emulator.monitor.urlWorks(actionGroup, workflows[1]) ? undefined : `action group ${actionGroup}`,
    ].filter((broken): broken is string => broken !== undefined);
  // Named value writes complete at once here: long-running ones are covered by the dependents integration tests.
  emulator.apiManagement.longRunning.completion = 'synchronous';
  // One tagged workflow in a subscription of its own, found by discovery on every run.
  const discoverySubscription = newSubscription();
  const tagged = emulator.logic.addWorkflow({
    subscriptionId: discoverySubscription,
    resourceGroup: 'rg-chaos',
    name: `chaos-tagged-${seed}`,
    tags: rotationEnabledTags,
  });
  secretNames.push(`chaos-tagged-${seed}-manual-url`);
  const settings = settingsFor(
    emulator,
    workflows.map((workflowId, i) => ({ workflowId, secretName: secretNames[i], dependents: [[namedValue, actionGroup][i] as string] })),
    { ROTATION_DISCOVERY: `/subscriptions/${discoverySubscription}` },
  );
  const { services: real, advanceDays } = rotationServices.withClock(settings, {
    retry: chaosRetry,
    discovery: { maxPages: 20, budgetMs: 5_000 },
  });
  const telemetry = recordingAndSending(real.telemetry);
  const services: RotationServices = { ...real, telemetry };
  const expected: RotationTarget[] = [
    ...settings.targets,
    {
      workflowId: tagged,
      host: 'consumption',
      trigger: 'manual',
      secretName: secretNames[2] as string,
      intervalDays: settings.intervalDays,
      adopt: false,
    },
  ];

  const violations: string[] = [];
  let requestsInRun = 0;
  let crashAfter = Infinity;
  let crash: AbortController | undefined;
  const stop = emulator.onRequest((record) => {
    for (const name of secretNames) {
      const latest = emulator.keyVault.latest(name);
      if (latest && !emulator.logic.isCallbackUrlValid(latest.value)) {
        violations.push(`${name} broken after ${record.operationId} ${record.status}`);
      }
    }
    for (const broken of dependentWorks()) violations.push(`${broken} holds a dead URL after ${record.operationId} ${record.status}`);
    requestsInRun += 1;
    if (requestsInRun === crashAfter) crash?.abort();
  });

  /** One run as the timer does it: discovery within its bounds, its problems recorded, then the rotation. */
  const run = async (invocationId: string, force: boolean, abortSignal?: AbortSignal): Promise<RotationRunResult> => {
    const resolved = await resolveTargets(settings, services, abortSignal);
    recordDiscoveryProblems(resolved.problems, telemetry, invocationId);
    return runRotation(resolved.targets, services, {
      mode: 'rotate',
      force,
      invocationId,
      concurrency: 2,
      abortSignal,
      discoveryProblems: resolved.problems.length,
    });
  };

  /** No silent non-rotation: what was due and not rotated is an event of this run, and the outcome says so. */
  const checkNoSilentNonRotation = (invocationId: string, due: ReadonlySet<string>, result: RotationRunResult): void => {
    const failedEvents = telemetry.failed.filter((e) => e.invocationId === invocationId);
    const discoveryEvents = telemetry.discoveryFailed.filter((e) => e.invocationId === invocationId);
    let incomplete = discoveryEvents.length > 0;
    for (const target of expected) {
      const key = target.workflowId.toLowerCase();
      if (!due.has(key)) continue;
      const outcome = result.targets.find((t) => t.workflowId.toLowerCase() === key);
      if (outcome && (outcome.action === 'rotated' || outcome.action === 'revoked')) continue;
      incomplete = true;
      if (!outcome) {
        if (discoveryEvents.length === 0)
          violations.push(`${invocationId}: ${target.workflowId} was due, not seen by discovery, and no SasKeyDiscoveryFailed says so`);
        continue;
      }
      const event = failedEvents.find((e) => e.workflowId.toLowerCase() === key);
      if (!event || !event.step || !event.errorCode) {
        violations.push(
          `${invocationId}: ${target.workflowId} was due and ended '${outcome.action}' (${outcome.error?.code ?? outcome.skipped?.code ?? 'no code'}) with no SasKeyRotationFailed carrying step and errorCode`,
        );
      }
    }
    // A dependent left behind is a failure of the run too, with its own event.
    for (const target of result.targets) {
      for (const dependent of (target.dependents ?? []).filter((d) => d.outcome === 'failed')) {
        incomplete = true;
        if (
          !telemetry.dependentsFailed.some((e) => e.invocationId === invocationId && e.dependentId === dependent.resourceId && e.errorCode)
        )
          violations.push(
            `${invocationId}: dependent ${dependent.resourceId} failed with no SasKeyDependentUpdateFailed carrying an errorCode`,
          );
      }
    }
    if (incomplete && (result.outcome === 'Succeeded' || result.outcome === 'NothingDue')) {
      violations.push(`${invocationId}: outcome ${result.outcome} although a due target was not rotated or discovery was incomplete`);
    }
    const runEvents = telemetry.runs.filter((e) => e.invocationId === invocationId);
    if (runEvents.length !== 1 || runEvents[0]?.outcome !== result.outcome)
      violations.push(`${invocationId}: expected one SasKeyRotationRun with outcome ${result.outcome}`);
  };

  try {
    const runs = 2 + Math.floor(next() * 3);
    // A dependent whose update is refused for several runs in a row (a role assignment removed, say):
    // only the gate keeps its URL alive, because the key it holds becomes due for regeneration meanwhile.
    const refusedFrom = next() < 0.35 ? Math.floor(next() * runs) : Infinity;
    const refusedUpdate = pick(['NamedValue_Update', 'ActionGroups_CreateOrUpdate']);
    for (let index = 0; index < runs; index++) {
      emulator.faults.clear();
      emulator.logic.pagingFaults.clear();
      if (index >= refusedFrom)
        emulator.faults.add({ operationId: refusedUpdate, status: 403, errorCode: 'AuthorizationFailed', times: Infinity });
      const force = next() < 0.3;
      // What is due, asked before any fault is armed (a target whose state cannot be read counts as due).
      const statuses = await Promise.all(expected.map((target) => inspectTarget(target, services)));
      const due = new Set(expected.filter((_, i) => force || statuses[i]?.due !== false).map((t) => t.workflowId.toLowerCase()));
      const faults = Math.floor(next() * 4);
      for (let i = 0; i < faults; i++) {
        const times = pick([1, 1, 2, 3, Infinity]);
        emulator.faults.add({ operationId: pick(operations), skip: Math.floor(next() * 3), times, ...pick(faultKinds) });
      }
      if (next() < 0.15)
        emulator.logic.pagingFaults.add({ operationId: 'Workflows_ListBySubscription', kind: pick(['loop', 'endless'] as const) });
      requestsInRun = 0;
      crashAfter = next() < 0.4 ? 1 + Math.floor(next() * 12) : Infinity;
      crash = new AbortController();
      const invocationId = `chaos-${seed}-${index}`;
      const result = await run(invocationId, force, crash.signal);
      produced.addRun(result);
      checkNoSilentNonRotation(invocationId, due, result);
      advanceDays(next() < 0.5 ? 31 : 1);
    }
    // A clean run after the storm: everything must end rotated and working.
    emulator.faults.clear();
    emulator.logic.pagingFaults.clear();
    crashAfter = Infinity;
    const final = await run(`chaos-${seed}-final`, true);
    produced.addRun(final);
    const notRotated = final.targets.filter((t) => t.action !== 'rotated').map(describeTargetResult);
    if (notRotated.length > 0) violations.push(`final clean run did not rotate: ${notRotated.join('; ')}`);
    if (final.targets.length !== expected.length)
      violations.push(`final clean run saw ${final.targets.length} of ${expected.length} targets`);
    for (const name of secretNames) {
      const latest = emulator.keyVault.latest(name);
      if (!latest || !emulator.logic.isCallbackUrlValid(latest.value)) violations.push(`${name} not working after the final run`);
    }
    for (const target of final.targets) {
      const behind = (target.dependents ?? []).filter((d) => d.outcome !== 'updated' && d.outcome !== 'current');
      if (behind.length > 0) violations.push(`final clean run left dependents behind: ${behind.map((d) => d.resourceId).join(', ')}`);
    }
    violations.push(...dependentWorks().map((broken) => `${broken} holds a dead URL after the final run`));
  } finally {
    stop();
    emulator.apiManagement.longRunning.reset();
    emulator.faults.clear();
    emulator.logic.pagingFaults.clear();
  }
  if (violations.length > 0) {
    throw new Error(
      `Fault schedule seed ${seed} broke the invariant (replay: CHAOS_SEED=${seed} npm run test:chaos):\n${violations.join('\n')}`,
    );
  }
}

describe(`randomized fault schedules (${seeds.length} seeded schedules)`, () => {
  it(
    'keep every published URL working after every emulator request, leave no due target silently unrotated, and a clean run afterwards rotates everything',
    async () => {
      const failures: string[] = [];
      for (const seed of seeds) {
        try {
          await runSchedule(seed);
        } catch (error) {
          failures.push((error as Error).message);
          console.error((error as Error).message);
        }
      }
      expect(failures).toEqual([]);
    },
    15 * minute,
  );

  it('leaked no sig or token into any report or telemetry envelope', async () => {
    await rotationServices.flushTelemetry();
    expectNoIssuedSecrets(produced.texts, emulator);
  });
});
