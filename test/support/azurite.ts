import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';

/** Azurite's well-known development account (public, documented; not a secret). */
export const azuriteAccountName = 'devstoreaccount1';
export const azuriteAccountKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  /** e.g. http://127.0.0.1:41234/devstoreaccount1 */
  readonly blobEndpoint: string;
  /** Set when started with `{ queue: true }`. */
  readonly queueEndpoint: string | undefined;
  /** The value for `AzureWebJobsStorage`. */
  readonly connectionString: string;
  /** Stops this Azurite (its own process only); safe to call twice. */
  stop(): Promise<void>;
}

const startTimeoutInMs = 30_000;
const stopTimeoutInMs = 5_000;

/**
 * Starts Azurite's blob service from the `azurite` devDependency in a child process, in memory, on a
 * port the OS picks, and resolves once it listens. A child rather than Azurite's internal BlobServer
 * class: the command line is Azurite's public interface, and the child's own telemetry and loggers
 * stay out of the test process. The child exits when its IPC channel closes, so a jest worker that
 * dies never leaves an Azurite behind.
 */
export async function startAzurite(options: { readonly queue?: boolean } = {}): Promise<Azurite> {
  const children = [startService('blob'), ...(options.queue ? [startService('queue')] : [])];
  let endpoints: string[];
  try {
    endpoints = await Promise.all(children.map(async (child) => `${await listeningAddress(child)}/${azuriteAccountName}`));
  } catch (error) {
    await Promise.all(children.map(stopChild));
    throw error;
  }
  const [blobEndpoint, queueEndpoint] = endpoints as [string, string | undefined];
  let stopping: Promise<void> | undefined;
  return {
    blobEndpoint,
    queueEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${azuriteAccountName};AccountKey=${azuriteAccountKey};BlobEndpoint=${blobEndpoint};${queueEndpoint ? `QueueEndpoint=${queueEndpoint};` : ''}`,
    stop: () => {
      stopping ??= Promise.all(children.map(stopChild)).then(() => undefined);
      return stopping;
    },
  };
}

function startService(service: 'blob' | 'queue'): ChildProcess {
  const main = require.resolve(`azurite/dist/src/${service}/main.js`);
  const exitWithParent = "process.once('disconnect', () => process.exit(0)); require(process.argv[1]);";
  return spawn(
    process.execPath,
    [
      '-e',
      exitWithParent,
      '--',
      main,
      `--${service}Host`,
      '127.0.0.1',
      `--${service}Port`,
      '0',
      '--inMemoryPersistence',
      ...(service === 'blob' ? ['--extentMemoryLimit', '64'] : []),
      // The SDK may be newer than the Azurite release (docs/design.md §8).
      '--skipApiVersionCheck',
      '--loose',
      '--silent',
      '--disableTelemetry',
    ],
    // Azurite has nothing to write to disk in memory, but its working folder must exist.
    { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
}

function listeningAddress(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`Azurite did not start within ${startTimeoutInMs} ms.${tail(output)}`)),
      startTimeoutInMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /successfully listens on (http:\/\/[^\s/]+)/.exec(output);
      if (match?.[1]) {
        done();
        resolve(match[1]);
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      fail(new Error(`Azurite exited while starting (${signal ?? code}).${tail(output)}`));
    const onError = (error: Error) => fail(error);
    const done = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      // Keep draining, so a chatty Azurite can never block on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
    };
    const fail = (error: Error) => {
      done();
      child.kill('SIGKILL');
      reject(error);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) {
    child.disconnect();
  } else {
    child.kill('SIGTERM');
  }
  const killTimer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutInMs);
  await exited;
  clearTimeout(killTimer);
}

function tail(output: string): string {
  const text = output.trim();
  return text ? `\n${text.slice(-2000)}` : '';
}
