import { seedDemoEstate } from './demoEstate';
import { startEmulator } from './index';

interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/**
 * `sas-rotator emulator`: starts the emulator with the demo estate and prints the environment
 * to point sas-rotator (or any Azure SDK client) at it, then runs until interrupted.
 */
export async function runEmulatorCommand(io: CommandIo): Promise<number> {
  const emulator = await startEmulator();
  const targets = seedDemoEstate(emulator);
  const environment = { ...emulator.environment(), ROTATION_TARGETS: JSON.stringify(targets) };
  io.stdout(
    [
      '# The local Azure emulator is running. In another shell:',
      ...Object.entries(environment).map(([name, value]) => `export ${name}='${value.replace(/'/g, "'\\''")}'`),
      '# then: npx sas-rotator rotate   (NODE_EXTRA_CA_CERTS must be set before node starts)',
      '# Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await emulator.stop();
  io.stderr('Emulator stopped.\n');
  return 0;
}

// `sas-rotator-emulator` (package.json bin); `sas-rotator emulator` loads this same entry point at run time.
if (require.main === module) {
  runEmulatorCommand({ stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) }).then(
    (status) => process.exit(status),
    (error: unknown) => {
      process.stderr.write(`sas-rotator-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
