#!/usr/bin/env node
import { spawn } from 'child_process';
import { ensureLocalCertificateAuthority } from './localCertificateAuthority';

/**
 * `node dist/emulator/withEmulatorCa.js <command> [args...]`: runs a command that trusts the emulator's CA.
 * Node reads NODE_EXTRA_CA_CERTS only at process start, so the CA has to exist before the command (jest and
 * its workers, the demo) starts, and cannot be added from inside it.
 */
async function main(argv: readonly string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command) {
    console.error('usage: withEmulatorCa <command> [args...]');
    return 2;
  }
  return runWithEmulatorCa(command, args);
}

/** True when this process already trusts the emulator's CA (it was started by runWithEmulatorCa). */
export async function trustsEmulatorCa(): Promise<boolean> {
  return process.env.NODE_EXTRA_CA_CERTS === (await ensureLocalCertificateAuthority()).certPath;
}

/** Runs `command` in a child process that trusts the emulator's CA; resolves with its exit status. */
export async function runWithEmulatorCa(command: string, args: readonly string[]): Promise<number> {
  const ca = await ensureLocalCertificateAuthority();
  const child = spawn(command, args, {
    stdio: 'inherit',
    shell: process.platform === 'win32',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: ca.certPath },
  });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise<number>((resolve) => {
    child.once('error', (error) => {
      console.error(`withEmulatorCa: cannot start ${command}: ${error.message}`);
      resolve(127);
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + signalNumber(signal) : 1)));
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`withEmulatorCa: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
