import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The layering rules of eslint.config.mjs can fail: each planted import is reported by ESLint, run
 * as `npm run lint` runs it, for the file it would sit in. (The tree itself is clean: `npm run lint`
 * runs in `.ci/run`.) A child process, because ESLint loads its flat config as an ES module.
 */
const root = join(__dirname, '..', '..');

async function restrictedImportsIn(relativePath: string, source: string): Promise<string[]> {
  const run = spawnSync(process.execPath, [join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--stdin', '--stdin-filename', relativePath, '--format', 'json'], {
    cwd: root,
    input: source,
    encoding: 'utf8',
  });
  const [result] = JSON.parse(run.stdout || '[]') as Array<{ messages: Array<{ ruleId: string | null; message: string }> }>;
  if (!result) throw new Error(`eslint produced no result: ${run.stderr}`);
  return result.messages.filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

describe('lint keeps the layering', () => {
  it('refuses an SDK import in the protocol (src/rotation)', async () => {
    expect(await restrictedImportsIn('src/rotation/planted.ts', "import { SecretClient } from '@azure/keyvault-secrets';\nexport const planted = SecretClient;\n")).toEqual([
      expect.stringMatching(/imports no SDK/),
    ]);
    expect(await restrictedImportsIn('src/rotation/planted.ts', "import { TelemetryClient } from 'applicationinsights';\nexport const planted = TelemetryClient;\n")).toHaveLength(1);
  });

  it('refuses an adapter import in the protocol: adapters depend on the protocol, not the other way round', async () => {
    expect(await restrictedImportsIn('src/rotation/planted.ts', "import { KeyVaultCallbackUrlStore } from '../secrets/KeyVaultCallbackUrlStore';\nexport const planted = KeyVaultCallbackUrlStore;\n")).toEqual([
      expect.stringMatching(/imports only from src\/rotation/),
    ]);
  });

  it('refuses the emulator in the product, and the product in the emulator', async () => {
    expect(await restrictedImportsIn('src/functions/planted.ts', "import { startEmulator } from '../../emulator/index';\nexport const planted = startEmulator;\n")).toHaveLength(1);
    expect(await restrictedImportsIn('emulator/planted.ts', "import { loadSettings } from '../src/config';\nexport const planted = loadSettings;\n")).toHaveLength(1);
  });

  it('lets the protocol import itself and adapters import the protocol', async () => {
    expect(await restrictedImportsIn('src/rotation/planted.ts', "import { otherKey } from './KeyType';\nexport const planted = otherKey;\n")).toEqual([]);
    expect(await restrictedImportsIn('src/azure/keyVault/planted.ts', "import type { CallbackUrlStore } from '../../rotation/ports';\nexport type Planted = CallbackUrlStore;\n")).toEqual([]);
  });
});
