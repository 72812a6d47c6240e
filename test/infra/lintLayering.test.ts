import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The rules `npm run lint` enforces can fail: each planted violation is reported by the tool that
 * `npm run lint` runs, as it runs it, for the file it would sit in. (The tree itself is clean:
 * `npm run lint` runs in `.ci/run`.) Child processes, because ESLint loads its flat config as an ES
 * module and dpdm is a command.
 */
const root = join(__dirname, '..', '..');

/** A planted file's source: it imports `name` from `from` and uses it. */
function plantedImport(name: string, from: string): string {
  return `import { ${name} } from '${from}';\nexport const planted = ${name};\n`;
}

async function restrictedImportsIn(relativePath: string, source: string): Promise<string[]> {
  return (await eslintMessages(relativePath, source))
    .filter((message) => message.ruleId === 'no-restricted-imports')
    .map((message) => message.message);
}

async function eslintMessages(relativePath: string, source: string): Promise<Array<{ ruleId: string | null; message: string }>> {
  const run = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--stdin', '--stdin-filename', relativePath, '--format', 'json'],
    {
      cwd: root,
      input: source,
      encoding: 'utf8',
    },
  );
  const [result] = JSON.parse(run.stdout || '[]') as Array<{ messages: Array<{ ruleId: string | null; message: string }> }>;
  if (!result) throw new Error(`eslint produced no result: ${run.stderr}`);
  return result.messages;
}

/** `npm run lint:cycles` as package.json spells it, over a folder of planted files instead of the tree. */
function importCyclesIn(files: Record<string, string>): { status: number | null; output: string } {
  const folder = mkdtempSync(join(tmpdir(), 'planted-cycle-'));
  try {
    for (const [name, source] of Object.entries(files)) writeFileSync(join(folder, name), source);
    const script =
      (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['lint:cycles'] ?? '';
    const [command, ...words] = script.split(' ').filter((word) => !word.startsWith('"'));
    expect(command).toBe('dpdm');
    const run = spawnSync(process.execPath, [join(root, 'node_modules', 'dpdm', 'lib', 'bin', 'dpdm.js'), ...words, join(folder, '*.ts')], {
      cwd: folder,
      encoding: 'utf8',
    });
    return { status: run.status, output: run.stdout + run.stderr };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

describe('lint keeps the layering', () => {
  it('refuses an SDK import in the protocol (src/rotation)', async () => {
    expect(await restrictedImportsIn('src/rotation/planted.ts', plantedImport('SecretClient', '@azure/keyvault-secrets'))).toEqual([
      expect.stringMatching(/imports no SDK/),
    ]);
    expect(await restrictedImportsIn('src/rotation/planted.ts', plantedImport('TelemetryClient', 'applicationinsights'))).toHaveLength(1);
  });

  it('refuses an adapter import in the protocol: adapters depend on the protocol, not the other way round', async () => {
    expect(
      await restrictedImportsIn(
        'src/rotation/planted.ts',
        plantedImport('KeyVaultCallbackUrlStore', '../azure/keyVault/KeyVaultCallbackUrlStore'),
      ),
    ).toEqual([expect.stringMatching(/imports only from src\/rotation/)]);
  });

  it('refuses the emulator in the product, and the product in the emulator', async () => {
    expect(await restrictedImportsIn('src/functions/planted.ts', plantedImport('startEmulator', '../../emulator/index'))).toHaveLength(1);
    expect(await restrictedImportsIn('emulator/planted.ts', plantedImport('loadSettings', '../src/composition/config'))).toHaveLength(1);
  });

  it('lets the protocol import itself and adapters import the protocol', async () => {
    expect(await restrictedImportsIn('src/rotation/planted.ts', plantedImport('otherKey', './KeyType'))).toEqual([]);
    expect(
      await restrictedImportsIn(
        'src/azure/keyVault/planted.ts',
        "import type { CallbackUrlStore } from '../../rotation/ports';\nexport type Planted = CallbackUrlStore;\n",
      ),
    ).toEqual([]);
  });

  it('refuses two import statements for one module, type-only ones included', async () => {
    const planted =
      "import type { KeyType } from './KeyType';\nimport { otherKey } from './KeyType';\nexport const planted: KeyType = otherKey('Primary');\n";
    expect((await eslintMessages('src/rotation/planted.ts', planted)).map((message) => message.ruleId)).toEqual(['no-duplicate-imports']);
  });

  it('refuses an import cycle, even one made of type-only imports', () => {
    const cycle = importCyclesIn({
      'a.ts': "import type { B } from './b';\nexport interface A { b?: B }\n",
      'b.ts': "import type { A } from './a';\nexport interface B { a?: A }\n",
    });
    expect(cycle.status).toBe(1);
    expect(cycle.output).toMatch(/Circular Dependencies[\s\S]*(a\.ts -> b\.ts|b\.ts -> a\.ts)/);
    expect(
      importCyclesIn({ 'a.ts': "import type { B } from './b';\nexport type A = B;\n", 'b.ts': 'export type B = string;\n' }).status,
    ).toBe(0);
  });

  it('refuses code the formatter would change (npm run format:check)', () => {
    // The CLI over stdin with the planted file's path, so it reads the tree's .prettierrc.json.
    const formatted = (source: string): string =>
      spawnSync(
        process.execPath,
        [join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--stdin-filepath', 'src/rotation/planted.ts'],
        { cwd: root, input: source, encoding: 'utf8' },
      ).stdout;
    const unformatted = 'export const planted = {a:1,\n  "b": 2}\n';
    expect(formatted(unformatted)).toBe('export const planted = { a: 1, b: 2 };\n');
    const atWidth = `export const planted = [${Array.from({ length: 20 }, (_, index) => `'item${index}'`).join(', ')}];\n`;
    expect(atWidth.length).toBeGreaterThan(140);
    expect(
      formatted(atWidth)
        .split('\n')
        .every((line) => line.length <= 140),
    ).toBe(true);
  });
});
