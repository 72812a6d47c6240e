import type { AzureEmulator, FaultRule } from '../../emulator/index';
import type { RetrySettings } from '../../src/azureRetryPolicy';
import { createRotationServices, type RotationServices } from '../../src/createRotationServices';
import { describeTargetResult } from '../../src/describeTargetResult';
import { runRotation } from '../../src/rotation/runRotation';
import { addRequestWorkflow, settingsFor, startEmulatorEnvironment } from '../support/emulatorEnvironment';
import { expectNoIssuedSecrets } from '../support/expectNoIssuedSecrets';

/**
 * Randomized, seeded fault schedules: each schedule runs a few rotations of two targets while the
 * emulator injects random faults and a random "crash" (the run is cancelled mid-request), and the
 * invariant — every published URL works — is checked after every single emulator request.
 * Reproduce one schedule with CHAOS_SEED=<seed> npm run test:chaos.
 */
const scheduleCount = Number(process.env.CHAOS_SCHEDULES ?? 200);
const seeds = process.env.CHAOS_SEED ? [Number(process.env.CHAOS_SEED)] : Array.from({ length: scheduleCount }, (_, i) => i + 1);
/** Short waits; Retry-After above the cap fails the target, which the schedule must survive too. */
const chaosRetry: RetrySettings = { maxRetries: 2, initialDelayInMs: 5, maxDelayInMs: 20, maxSingleWaitInMs: 200 };
const day = 24 * 60 * 60 * 1000;

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

const operations = ['GetSecret', 'WorkflowTriggers_ListCallbackUrl', 'Workflows_RegenerateAccessKey', 'SetSecret', 'Track', 'ManagedIdentityToken'];
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

let emulator: AzureEmulator;
const opened: RotationServices[] = [];
const produced: string[] = [];

beforeAll(async () => {
  // Schedules run back to back far faster than real time: ARM's write bucket would run dry and
  // turn every later schedule into a throttling test. Throttling is covered by injected 429s.
  emulator = await startEmulatorEnvironment({ armWriteThrottle: { capacity: 1_000_000, refillPerSecond: 1_000_000 } });
});
afterAll(async () => {
  await Promise.all(opened.map((services) => services.close()));
  await emulator?.stop();
});

async function runSchedule(seed: number): Promise<void> {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const workflows = [addRequestWorkflow(emulator, `chaos-${seed}`), addRequestWorkflow(emulator, `chaos-${seed}`)];
  const secretNames = workflows.map((_, i) => `chaos-${seed}-${i}`);
  const settings = settingsFor(emulator, workflows.map((workflowId, i) => ({ workflowId, secretName: secretNames[i] })));
  const real = createRotationServices(settings, { retry: chaosRetry });
  opened.push(real);
  let now = Date.now();
  const services: RotationServices = { ...real, now: () => new Date(now) };

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
    requestsInRun += 1;
    if (requestsInRun === crashAfter) crash?.abort();
  });
  try {
    const runs = 2 + Math.floor(next() * 3);
    for (let run = 0; run < runs; run++) {
      emulator.faults.clear();
      const faults = Math.floor(next() * 4);
      for (let i = 0; i < faults; i++) {
        const times = pick([1, 1, 2, 3, Infinity]);
        emulator.faults.add({ operationId: pick(operations), skip: Math.floor(next() * 3), times, ...pick(faultKinds) });
      }
      requestsInRun = 0;
      crashAfter = next() < 0.4 ? 1 + Math.floor(next() * 12) : Infinity;
      crash = new AbortController();
      const result = await runRotation(settings.targets, services, {
        mode: 'rotate',
        force: next() < 0.3,
        invocationId: `chaos-${seed}-${run}`,
        concurrency: 2,
        abortSignal: crash.signal,
      });
      produced.push(...result.targets.map(describeTargetResult));
      now += (next() < 0.5 ? 31 : 1) * day;
    }
    // A clean run after the storm: everything must end rotated and working.
    emulator.faults.clear();
    crashAfter = Infinity;
    const final = await runRotation(settings.targets, services, { mode: 'rotate', force: true, invocationId: `chaos-${seed}-final`, concurrency: 2 });
    produced.push(...final.targets.map(describeTargetResult));
    const notRotated = final.targets.filter((t) => t.action !== 'rotated').map(describeTargetResult);
    if (notRotated.length > 0) violations.push(`final clean run did not rotate: ${notRotated.join('; ')}`);
    for (const name of secretNames) {
      const latest = emulator.keyVault.latest(name);
      if (!latest || !emulator.logic.isCallbackUrlValid(latest.value)) violations.push(`${name} not working after the final run`);
    }
  } finally {
    stop();
    emulator.faults.clear();
  }
  if (violations.length > 0) {
    throw new Error(`Fault schedule seed ${seed} broke the invariant (replay: CHAOS_SEED=${seed} npm run test:chaos):\n${violations.join('\n')}`);
  }
}

describe(`randomized fault schedules (${seeds.length} seeded schedules)`, () => {
  it('keep every published URL working after every emulator request, and a clean run afterwards rotates everything', async () => {
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
  }, 15 * 60 * 1000);

  it('leaked no sig or token into any report or telemetry envelope', async () => {
    await Promise.all(opened.map((services) => services.telemetry.flush()));
    expectNoIssuedSecrets(produced, emulator);
  });
});
