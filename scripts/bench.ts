/**
 * `npm run bench`: end-to-end rotation speed and memory against the emulator's load models, through
 * the real SDK clients. Writes bench/results.json and docs/performance-chart.svg. Not part of
 * `npm test`: durations are measured here, never asserted.
 */
import { fork, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator, type AzureEmulator, type EmulatorOptions } from '../emulator/index';
import { loadSettings } from '../src/composition/config';
import { createRotationServices } from '../src/composition/createRotationServices';
import { runRotation } from '../src/rotation/runRotation';

const root = join(__dirname, '..', '..');
const concurrency = 64;

interface ScenarioResult {
  readonly name: string;
  readonly targets: number;
  readonly subscriptions: number;
  readonly concurrency: number;
  readonly wallSeconds: number;
  readonly rotationsPerSecond: number;
  readonly rotated: number;
  readonly failed: number;
  readonly firstError?: unknown;
  readonly throttled429: number;
  readonly peakRssMb: number;
  readonly ideal: { readonly seconds: number; readonly basis: string };
  readonly ratioToIdeal: number;
  readonly sequentialBaseline?: {
    readonly sampleTargets: number;
    readonly secondsPerTarget: number;
    readonly extrapolatedSeconds: number;
    readonly speedup: number;
  };
}

function subscriptionId(i: number): string {
  return `${(0x10000000 + i).toString(16)}-0000-4000-8000-000000000000`;
}

function seed(
  emulator: AzureEmulator,
  targets: number,
  subscriptions: number,
  label: string,
): Array<{ workflowId: string; secretName: string }> {
  const prefix = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return Array.from({ length: targets }, (_, i) => {
    const name = `${prefix}-${i}`;
    return {
      workflowId: emulator.logic.addWorkflow({ subscriptionId: subscriptionId(i % subscriptions), resourceGroup: 'rg-bench', name }),
      secretName: `${name}-url`,
    };
  });
}

/** Samples RSS while `work` runs. */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ value: T; peakRssMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, peakRssMb: Math.round(peak / 1024 / 1024) };
  } finally {
    clearInterval(timer);
  }
}

async function rotateAll(
  emulator: AzureEmulator,
  specs: Array<{ workflowId: string; secretName: string }>,
  runConcurrency: number,
  writeRefillPerSecond: number,
) {
  const settings = loadSettings({
    ...emulator.environment(),
    ROTATION_TARGETS: JSON.stringify(specs),
    ROTATION_CONCURRENCY: String(runConcurrency),
  });
  const services = createRotationServices(settings, {
    writeBudget: { capacity: 200, refillPerSecond: writeRefillPerSecond },
    // Key Vault's limits are left out of these scenarios (the emulator's too): they measure ARM's.
    vaultSecretLimits: { create: noThrottle, other: noThrottle },
    env: {},
  });
  try {
    const started = performance.now();
    const result = await runRotation(settings.targets, services, { mode: 'rotate', invocationId: 'bench', concurrency: runConcurrency });
    const seconds = (performance.now() - started) / 1000;
    return { result, seconds };
  } finally {
    await services.close();
  }
}

async function scenario(
  name: string,
  options: EmulatorOptions,
  targets: number,
  subscriptions: number,
  writeRefillPerSecond: number,
  ideal: (wallSeconds: number) => { seconds: number; basis: string },
  baselineSample: number,
): Promise<ScenarioResult> {
  const emulator = await startEmulator(options);
  // The credential (managed-identity endpoint) and the clients read their settings from the process.
  Object.assign(process.env, emulator.environment());
  try {
    let sequentialBaseline: ScenarioResult['sequentialBaseline'];
    if (baselineSample > 0) {
      // The same calls one target at a time, as a script would make them.
      const sample = seed(emulator, baselineSample, subscriptions, `${name}-baseline`);
      const { seconds } = await rotateAll(emulator, sample, 1, writeRefillPerSecond);
      const perTarget = seconds / baselineSample;
      sequentialBaseline = {
        sampleTargets: baselineSample,
        secondsPerTarget: round(perTarget, 4),
        extrapolatedSeconds: round(perTarget * targets, 1),
        speedup: 0,
      };
    }
    const specs = seed(emulator, targets, subscriptions, name);
    const before429 = emulator.requests.filter((r) => r.status === 429).length;
    const { value, peakRssMb } = await withPeakRss(() => rotateAll(emulator, specs, concurrency, writeRefillPerSecond));
    const wallSeconds = value.seconds;
    const rotated = value.result.targets.filter((t) => t.action === 'rotated').length;
    const idealRun = ideal(wallSeconds);
    return {
      name,
      targets,
      subscriptions,
      concurrency,
      wallSeconds: round(wallSeconds, 2),
      rotationsPerSecond: round(rotated / wallSeconds, 1),
      rotated,
      failed: value.result.targets.filter((t) => t.action === 'failed').length,
      ...(value.result.targets.some((t) => t.error) ? { firstError: value.result.targets.find((t) => t.error)?.error } : {}),
      throttled429: emulator.requests.filter((r) => r.status === 429).length - before429,
      peakRssMb,
      ideal: { seconds: round(idealRun.seconds, 2), basis: idealRun.basis },
      ratioToIdeal: round(idealRun.seconds / wallSeconds, 2),
      ...(sequentialBaseline
        ? { sequentialBaseline: { ...sequentialBaseline, speedup: round(sequentialBaseline.extrapolatedSeconds / wallSeconds, 1) } }
        : {}),
    };
  } finally {
    await emulator.stop();
  }
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Time to load the function module in a fresh process: what a cold start pays before the first run. */
function coldStartMs(): number {
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const run = spawnSync(
      process.execPath,
      [
        '-e',
        "const t=performance.now();require('./dist/src/functions/rotateSasKeys.js');process.stdout.write(String(performance.now()-t))",
      ],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    samples.push(Number(run.stdout));
  }
  return round(samples.sort((a, b) => a - b)[1] ?? NaN, 0);
}

function chart(results: readonly ScenarioResult[], growth: readonly ScenarioResult[]): string {
  const bars = results.map((r, i) => {
    const width = Math.max(2, Math.min(380, (r.rotationsPerSecond / Math.max(...results.map((x) => x.rotationsPerSecond))) * 380));
    const y = 40 + i * 36;
    return `<text x="10" y="${y + 16}" font-size="12">${r.name}</text><rect x="200" y="${y}" width="${width.toFixed(0)}" height="22" fill="#2b7bb9"/><text x="${(205 + width).toFixed(0)}" y="${y + 16}" font-size="12">${r.rotationsPerSecond}/s (${Math.round(r.ratioToIdeal * 100)}% of ideal)</text>`;
  });
  const maxTime = Math.max(...growth.map((g) => g.wallSeconds));
  const points = growth.map((g, i) => ({ x: 220 + i * 160, y: 330 - (g.wallSeconds / maxTime) * 120, g }));
  const line = points.map((p) => `${p.x.toFixed(0)},${p.y.toFixed(0)}`).join(' ');
  const labels = points.map(
    (p) =>
      `<circle cx="${p.x.toFixed(0)}" cy="${p.y.toFixed(0)}" r="4" fill="#d9534f"/><text x="${(p.x - 30).toFixed(0)}" y="350" font-size="12">${p.g.targets} targets</text><text x="${(p.x - 30).toFixed(0)}" y="${(p.y - 10).toFixed(0)}" font-size="11">${p.g.wallSeconds}s, ${p.g.peakRssMb} MB</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="780" height="370" font-family="sans-serif">
<text x="10" y="22" font-size="14" font-weight="bold">sas-rotator: rotations per second (npm run bench)</text>
${bars.join('\n')}
<text x="10" y="190" font-size="14" font-weight="bold">Wall time and peak RSS as the estate grows</text>
<polyline points="${line}" fill="none" stroke="#d9534f" stroke-width="2"/>
${labels.join('\n')}
</svg>
`;
}

const perTargetMs = 20 + 50 + 50 + 50 + 20; // Key Vault read, list, regenerate, list, Key Vault write
const noThrottle = { capacity: 1_000_000, refillPerSecond: 1_000_000 };
const timeScale = 10;
const writeRate = 10 * timeScale;

/** Each scenario runs in a process of its own: a clean heap for peak RSS, and no tokens cached from another emulator. */
const scenarios: Record<string, () => Promise<ScenarioResult>> = {
  latency: () =>
    scenario(
      'a) latency-bound',
      { latencyMs: { arm: 50, keyVault: 20 }, armWriteThrottle: noThrottle, keyVaultThrottle: false },
      2000,
      20,
      1_000_000,
      () => ({ seconds: (2000 * perTargetMs) / 1000 / concurrency, basis: `targets × ${perTargetMs} ms ÷ concurrency ${concurrency}` }),
      40,
    ),
  throttle: () =>
    scenario(
      'b) throttle-bound',
      { armWriteThrottle: { capacity: 200, refillPerSecond: 10, timeScale }, keyVaultThrottle: false },
      1000,
      1,
      writeRate,
      () => ({
        seconds: (1000 * 3 - 200) / writeRate,
        basis: `(3 writes × targets − 200 burst) ÷ ${writeRate} writes/s (ARM bucket ×${timeScale})`,
      }),
      0,
    ),
  ...Object.fromEntries([100, 1000, 10000].map((targets) => [`growth${targets}`, () => growthScenario(targets)])),
};

/**
 * c) Growth with the emulator in a process of its own, so that peak RSS is the rotator's alone.
 */
async function growthScenario(targets: number): Promise<ScenarioResult> {
  const host = fork(join(__dirname, 'benchEmulatorHost.js'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const next = <T>(kind: string) =>
    new Promise<T>((resolve) => {
      const onMessage = (message: { kind: string }) => {
        if (message.kind === kind) {
          host.off('message', onMessage);
          resolve(message as T);
        }
      };
      host.on('message', onMessage);
    });
  const ready = next<{ environment: Record<string, string>; targets: Array<{ workflowId: string; secretName: string }> }>('ready');
  host.send({
    kind: 'seed',
    options: { armWriteThrottle: noThrottle, keyVaultThrottle: false },
    targets,
    subscriptions: 20,
    prefix: `growth-${targets}`,
  });
  const { environment, targets: specs } = await ready;
  Object.assign(process.env, environment);
  try {
    const { value, peakRssMb } = await withPeakRss(async () => {
      const settings = loadSettings({ ...environment, ROTATION_TARGETS: JSON.stringify(specs), ROTATION_CONCURRENCY: String(concurrency) });
      // The emulator's throttle is off here, so the runner's model of ARM's bucket must be too.
      const services = createRotationServices(settings, {
        env: {},
        writeBudget: noThrottle,
        vaultSecretLimits: { create: noThrottle, other: noThrottle },
      });
      try {
        const started = performance.now();
        const result = await runRotation(settings.targets, services, { mode: 'rotate', invocationId: 'bench', concurrency });
        return { result, seconds: (performance.now() - started) / 1000 };
      } finally {
        await services.close();
      }
    });
    const statsReply = next<{ throttled429: number }>('stats');
    host.send({ kind: 'stats' });
    const stats = await statsReply;
    const rotated = value.result.targets.filter((t) => t.action === 'rotated').length;
    return {
      name: `c) ${targets} targets`,
      targets,
      subscriptions: 20,
      concurrency,
      wallSeconds: round(value.seconds, 2),
      rotationsPerSecond: round(rotated / value.seconds, 1),
      rotated,
      failed: value.result.targets.filter((t) => t.action === 'failed').length,
      throttled429: stats.throttled429,
      peakRssMb,
      ideal: { seconds: round(value.seconds, 2), basis: 'no injected latency: CPU-bound, no ideal; emulator in its own process' },
      ratioToIdeal: 1,
    };
  } finally {
    host.disconnect();
  }
}

function runScenarioProcess(name: string): ScenarioResult {
  const child = spawnSync(process.execPath, ['--max-old-space-size=1024', __filename, '--scenario', name], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('{')) throw new Error(`scenario ${name} failed (exit ${child.status})`);
  const result = JSON.parse(line) as ScenarioResult;
  console.log(result);
  return result;
}

interface CliTimes {
  /** `sas-rotator --help`, process start to exit. */
  readonly helpMs: number;
  /** `sas-rotator rotate` of one due target with Application Insights on, process start to exit. */
  readonly rotateStartToExitMs: number;
  /** From the last request the emulator received (the telemetry flush) to the process's exit. */
  readonly rotateLastRequestToExitMs: number;
}

/** The CLI as an operator runs it: the built binary, the emulator's environment and nothing else. Medians of 3. */
async function cliTimes(): Promise<CliTimes> {
  const emulator = await startEmulator();
  const cli = join(root, 'dist', 'src', 'cli', 'main.js');
  const run = (args: string[], env: NodeJS.ProcessEnv): Promise<{ startedAt: number; exitedAt: number }> =>
    new Promise((resolve, reject) => {
      const startedAt = Date.now();
      const child = spawn(process.execPath, [cli, ...args], { env, stdio: 'ignore' });
      child.on('error', reject);
      child.on('exit', () => resolve({ startedAt, exitedAt: Date.now() }));
    });
  const median = (values: number[]): number => round(values.sort((a, b) => a - b)[1] ?? NaN, 0);
  try {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...emulator.environment() };
    const help: number[] = [];
    const startToExit: number[] = [];
    const lastRequestToExit: number[] = [];
    for (let i = 0; i < 3; i++) {
      const h = await run(['--help'], env);
      help.push(h.exitedAt - h.startedAt);
      const [target] = seed(emulator, 1, 1, `cli-${i}`);
      const r = await run(['rotate'], { ...env, ROTATION_TARGETS: JSON.stringify([target]) });
      startToExit.push(r.exitedAt - r.startedAt);
      lastRequestToExit.push(r.exitedAt - (emulator.requests.at(-1)?.at.getTime() ?? r.startedAt));
    }
    return { helpMs: median(help), rotateStartToExitMs: median(startToExit), rotateLastRequestToExitMs: median(lastRequestToExit) };
  } finally {
    await emulator.stop();
  }
}

/**
 * Issue 15's scenario (c): the ARM calls one target costs over one rotation interval, on a daily schedule
 * (30 runs for a 30-day interval), counted from the emulator's request log, not timed. ARM counts
 * regenerateAccessKey and listCallbackUrl (POSTs) as writes, GETs as reads.
 */
async function armCallsPerInterval(): Promise<Record<string, unknown>> {
  const emulator = await startEmulator({ keyVaultThrottle: false });
  Object.assign(process.env, emulator.environment());
  try {
    const [spec] = seed(emulator, 1, 1, 'interval');
    const settings = loadSettings({ ...emulator.environment(), ROTATION_TARGETS: JSON.stringify([spec]), ROTATION_INTERVAL_DAYS: '30' });
    const real = createRotationServices(settings, { env: {} });
    let now = Date.now();
    const services = { ...real, now: () => new Date(now) };
    const perRun: Array<{ day: number; action: string; writes: number; reads: number }> = [];
    try {
      // The first rotation, then one interval of daily runs: 29 not due and the 30th rotating.
      for (let day = 0; day <= 30; day++) {
        const before = emulator.requests.length;
        const result = await runRotation(settings.targets, services, { mode: 'rotate', invocationId: `day-${day}`, concurrency: 1 });
        const arm = emulator.requests.slice(before).filter((r) => r.service === 'arm');
        perRun.push({
          day,
          action: result.targets[0]?.action ?? 'none',
          writes: arm.filter((r) => r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH').length,
          reads: arm.filter((r) => r.method === 'GET').length,
        });
        now += 24 * 60 * 60 * 1000;
      }
    } finally {
      await real.close();
    }
    const interval = perRun.slice(1);
    const rotations = interval.filter((run) => run.action === 'rotated');
    const checks = interval.filter((run) => run.action !== 'rotated');
    const sum = (runs: typeof perRun, key: 'writes' | 'reads'): number => runs.reduce((total, run) => total + run[key], 0);
    return {
      schedule: 'daily',
      intervalDays: 30,
      firstRotation: perRun[0],
      rotationsPerInterval: rotations.length,
      writesPerRotation: rotations.length ? sum(rotations, 'writes') / rotations.length : 0,
      writesPerNotDueRun: checks.length ? sum(checks, 'writes') / checks.length : 0,
      writesPerInterval: sum(interval, 'writes'),
      readsPerInterval: sum(interval, 'reads'),
    };
  } finally {
    await emulator.stop();
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--arm-calls-per-interval')) {
    process.stdout.write(`${JSON.stringify(await armCallsPerInterval())}\n`, () => process.exit());
    return;
  }
  const scenarioIndex = process.argv.indexOf('--scenario');
  if (scenarioIndex >= 0) {
    const run = scenarios[process.argv[scenarioIndex + 1] ?? ''];
    if (!run) throw new Error(`unknown scenario; one of ${Object.keys(scenarios).join(', ')}`);
    process.stdout.write(`${JSON.stringify(await run())}\n`, () => process.exit());
    return;
  }
  console.log('sas-rotator bench: end to end through the real SDK clients against the emulator. This takes a minute or two.\n');
  const [latencyBound, throttleBound, ...growth] = Object.keys(scenarios).map(runScenarioProcess) as [
    ScenarioResult,
    ScenarioResult,
    ...ScenarioResult[],
  ];
  const coldStart = coldStartMs();
  console.log({ coldStartMs: coldStart });
  const cli = await cliTimes();
  console.log({ cli });
  const armCalls = JSON.parse(
    spawnSync(process.execPath, [__filename, '--arm-calls-per-interval'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).stdout.trim() || '{}',
  ) as Record<string, unknown>;
  console.log({ armCallsPerInterval: armCalls });
  const results = {
    measuredAt: new Date().toISOString(),
    node: process.version,
    cpus: (await import('node:os')).cpus().length,
    coldStartMs: coldStart,
    cli,
    armCallsPerInterval: armCalls,
    scenarios: [latencyBound, throttleBound, ...growth],
  };
  mkdirSync(join(root, 'bench'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(root, 'docs', 'performance-chart.svg'), chart([latencyBound, throttleBound], growth));
  console.log('\nWrote bench/results.json and docs/performance-chart.svg');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
