import type { AzureEmulator } from '../../emulator/index';
import { main } from '../../src/cli/main';
import type { ProducedOutput } from './expectNoIssuedSecrets';

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The CLI's main() in this process, with the emulator's environment plus `env` (an undefined value
 * unsets a variable): a run as an operator starts it, without the cost of a process. What it
 * printed also goes to `output`, for the file's secret-hygiene check.
 */
export async function runCliInProcess(
  emulator: AzureEmulator,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
  options: { readonly output?: ProducedOutput; readonly isTerminal?: boolean } = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const status = await main(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: { ...emulator.environment(), ...env },
    isTerminal: options.isTerminal ?? false,
  });
  options.output?.add(stdout, stderr);
  return { status, stdout, stderr };
}
