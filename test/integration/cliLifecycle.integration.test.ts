import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { builtCliPath, startBuiltCli } from '../support/cliProcess';
import { addRequestWorkflow, beforeEmulatorStops, useEmulator } from '../support/emulatorEnvironment';
import { expectNoIssuedSecrets, ProducedOutput } from '../support/expectNoIssuedSecrets';

/**
 * The CLI as users run it: the built binary in a process of its own, with the emulator's
 * environment and nothing else — in particular no variable that switches the SDK's statsbeat off.
 */
/** The bug kept the process ~20 s after its output; a loaded 2-core machine needs a few. */
const exitsOnItsOwnWithinMs = 10_000;
/** Past this the child is killed, so that a regression fails the assertion instead of the test timeout. */
const killAfterMs = 30_000;

const emulator = useEmulator();
const output = new ProducedOutput();

// What every CLI run printed, checked once all ran, while the emulator still knows what it issued.
beforeEmulatorStops(emulator, async () => expectNoIssuedSecrets(output.texts, emulator));

interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** From the first byte of the result on stdout to the process's exit. */
  readonly printedToExitMs: number;
  readonly killed: boolean;
}

function userEnvironment(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    ...emulator.environment(),
    ...extra,
  };
  for (const name of Object.keys(env)) {
    if (/STATSBEAT/i.test(name) || env[name] === undefined) delete env[name];
  }
  return env;
}

async function runCli(
  args: readonly string[],
  extra: Record<string, string | undefined> = {},
  nodeArgs: readonly string[] = [],
): Promise<CliRun> {
  const { child, exited } = startBuiltCli(args, userEnvironment(extra), { nodeArgs, output });
  let killed = false;
  const killer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, killAfterMs);
  const { status, stdout, stderr, firstStdoutAt, closedAt } = await exited.finally(() => clearTimeout(killer));
  return { status, stdout, stderr, printedToExitMs: closedAt - (firstStdoutAt ?? closedAt), killed };
}

function eventNamesOf(invocationId: string): string[] {
  return emulator.appInsights.envelopes
    .filter((e) => JSON.stringify(e).includes(invocationId))
    .map((e) => (e.data as { baseData?: { name?: string } } | undefined)?.baseData?.name ?? '');
}

/** An ingestion endpoint that accepts connections and never says a word. */
async function silentEndpoint(): Promise<{ readonly url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `https://127.0.0.1:${port}/`,
    close: () => {
      sockets.forEach((socket) => socket.destroy());
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const someInstrumentationKey = '00000000-1111-4222-8333-444444444444';

describe('a CLI run with Application Insights configured', () => {
  it('is tested with what users have: the emulator prints no statsbeat switch', () => {
    expect(Object.keys(emulator.environment()).filter((name) => /STATSBEAT/i.test(name))).toEqual([]);
  });

  it('rotate exits on its own right after printing its result, and its events reached Application Insights', async () => {
    const workflowId = addRequestWorkflow(emulator, 'lifecycle-rotate');

    const run = await runCli(['rotate', '--json'], {
      ROTATION_TARGETS: JSON.stringify([{ workflowId, secretName: 'lifecycle-rotate-url' }]),
    });

    expect(run.killed).toBe(false);
    expect(run.status).toBe(0);
    expect(run.printedToExitMs).toBeLessThan(exitsOnItsOwnWithinMs);
    const report = JSON.parse(run.stdout) as { invocationId: string; targets: Array<{ action: string }> };
    expect(report.targets[0]?.action).toBe('rotated');
    expect(eventNamesOf(report.invocationId).sort()).toEqual(['SasKeyRotated', 'SasKeyRotationRun']);
    expect(run.stderr).not.toMatch(/Application Insights/);
  });

  it('status exits on its own right after printing its table', async () => {
    const workflowId = addRequestWorkflow(emulator, 'lifecycle-status');

    const run = await runCli(['status'], { ROTATION_TARGETS: JSON.stringify([{ workflowId, secretName: 'lifecycle-status-url' }]) });

    expect(run.killed).toBe(false);
    expect(run.status).toBe(0);
    expect(run.printedToExitMs).toBeLessThan(exitsOnItsOwnWithinMs);
  });

  it('exits promptly with a warning when the ingestion endpoint accepts the connection but never answers', async () => {
    const endpoint = await silentEndpoint();
    try {
      const workflowId = addRequestWorkflow(emulator, 'lifecycle-silent');

      const run = await runCli(['rotate'], {
        ROTATION_TARGETS: JSON.stringify([{ workflowId, secretName: 'lifecycle-silent-url' }]),
        APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=${someInstrumentationKey};IngestionEndpoint=${endpoint.url}`,
      });

      expect(run.killed).toBe(false);
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/Outcome: Succeeded/);
      expect(run.printedToExitMs).toBeLessThan(exitsOnItsOwnWithinMs);
      expect(run.stderr).toMatch(/Warning: .*Application Insights/);
      expect(emulator.logic.isCallbackUrlValid(emulator.keyVault.latest('lifecycle-silent-url')?.value as string)).toBe(true);
    } finally {
      await endpoint.close();
    }
  });

  it('exits promptly with a warning when the ingestion host does not resolve', async () => {
    const workflowId = addRequestWorkflow(emulator, 'lifecycle-nxdomain');

    const run = await runCli(['rotate'], {
      ROTATION_TARGETS: JSON.stringify([{ workflowId, secretName: 'lifecycle-nxdomain-url' }]),
      APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=${someInstrumentationKey};IngestionEndpoint=https://ingestion.sas-rotator.invalid/`,
    });

    expect(run.killed).toBe(false);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Outcome: Succeeded/);
    expect(run.printedToExitMs).toBeLessThan(exitsOnItsOwnWithinMs);
    expect(run.stderr).toMatch(/Warning: .*Application Insights/);
  });

  it('exits promptly when ingestion answers 500 to every request', async () => {
    emulator.faults.add({ service: 'appInsights', status: 500, times: Infinity });
    const workflowId = addRequestWorkflow(emulator, 'lifecycle-500');

    const run = await runCli(['rotate'], { ROTATION_TARGETS: JSON.stringify([{ workflowId, secretName: 'lifecycle-500-url' }]) });

    expect(run.killed).toBe(false);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Outcome: Succeeded/);
    expect(run.printedToExitMs).toBeLessThan(exitsOnItsOwnWithinMs);
  });
});

describe('the telemetry SDK is loaded only for a run', () => {
  /** Runs the CLI's main() in a fresh process and reports whether `applicationinsights` was loaded. */
  async function loadsApplicationInsights(
    args: readonly string[],
    extra: Record<string, string | undefined> = {},
  ): Promise<{ status: unknown; loaded: boolean }> {
    const probe = [
      `const { main } = require(${JSON.stringify(builtCliPath)});`,
      `const io = { stdout: () => undefined, stderr: () => undefined, env: process.env, isTerminal: false };`,
      `main(${JSON.stringify(args)}, io).then((status) => {`,
      `  const loaded = Object.keys(require.cache).some((file) => /[\\\\/]node_modules[\\\\/]applicationinsights[\\\\/]/.test(file));`,
      `  process.stdout.write(JSON.stringify({ status, loaded }));`,
      `  process.exit(0);`,
      `});`,
    ].join('\n');
    const run = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', probe], { env: userEnvironment(extra) });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.on('error', reject);
      child.on('close', () => resolve(stdout));
    });
    return JSON.parse(run) as { status: unknown; loaded: boolean };
  }

  it('--help, a usage error and a configuration error never load applicationinsights', async () => {
    expect(await loadsApplicationInsights(['--help'])).toEqual({ status: 0, loaded: false });
    expect(await loadsApplicationInsights(['rotate', '--no-such-option'])).toEqual({ status: 2, loaded: false });
    expect(await loadsApplicationInsights(['rotate'], { ROTATION_TARGETS: '[{"workflowId": "/subscriptions/oops"}]' })).toEqual({
      status: 2,
      loaded: false,
    });
  });

  it('a run with a connection string does load it (so the check above can see a load)', async () => {
    const workflowId = addRequestWorkflow(emulator, 'lifecycle-load');
    expect(await loadsApplicationInsights(['status'], { ROTATION_TARGETS: JSON.stringify([{ workflowId }]) })).toEqual({
      status: 0,
      loaded: true,
    });
  });
});
