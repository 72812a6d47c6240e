import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ProducedOutput } from './expectNoIssuedSecrets';

/** The `sas-rotator` binary as installed: `npm test` builds dist/ first. */
export const builtCliPath = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

export interface CliProcessResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** When the first byte arrived on stdout (epoch ms), if any did. */
  readonly firstStdoutAt: number | undefined;
  /** When the process's streams closed (epoch ms). */
  readonly closedAt: number;
}

/**
 * The built CLI in a process of its own, with exactly `env`: for what only a real process shows
 * (exit status, being killed, staying alive too long). `exited` resolves once its streams closed;
 * what it printed then also goes to `output`.
 */
export function startBuiltCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { readonly nodeArgs?: readonly string[]; readonly output?: ProducedOutput } = {},
): { readonly child: ChildProcess; readonly exited: Promise<CliProcessResult> } {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), builtCliPath, ...args], { env });
  const exited = new Promise<CliProcessResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let firstStdoutAt: number | undefined;
    child.stdout?.on('data', (chunk: Buffer) => {
      firstStdoutAt ??= Date.now();
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (status, signal) => {
      const closedAt = Date.now();
      options.output?.add(stdout, stderr);
      resolve({ status, signal, stdout, stderr, firstStdoutAt, closedAt });
    });
  });
  return { child, exited };
}
