import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packagedFiles, productionPackages, projectFolderAtPackaging } from './deploymentPackage';

/**
 * The zip azd deploys holds only what runs: the compiled src, host.json, package.json (with its lock) and
 * the production dependencies. Everything else (the emulator, tests, scripts, infra, docs, local settings
 * and the emulator's data) stays out.
 */
const root = join(__dirname, '..', '..');
const funcignore = readFileSync(join(root, '.funcignore'), 'utf8');
const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  main: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
let files: string[];
let inPackage: Set<string>;

beforeAll(() => {
  files = projectFolderAtPackaging();
  inPackage = new Set(packagedFiles(funcignore, files));
});

const ownFiles = (): string[] => [...inPackage].filter((file) => !file.startsWith('node_modules/'));

describe('deployment package (.funcignore)', () => {
  it('holds exactly the compiled src, host.json and package.json outside node_modules', () => {
    const compiledSrc = files.filter((file) => /^dist\/src\/.+\.js$/.test(file));
    expect(compiledSrc.length).toBeGreaterThan(20);
    expect(ownFiles().sort()).toEqual(['host.json', 'package.json', ...compiledSrc].sort());
  });

  it('holds the entry points the Functions host loads (package.json main)', () => {
    expect(packageJson.main).toBe('dist/src/{index.js,functions/*.js}');
    expect(inPackage.has('dist/src/index.js')).toBe(true);
    expect(ownFiles().filter((file) => file.startsWith('dist/src/functions/')).length).toBeGreaterThanOrEqual(2);
  });

  it('leaves out the emulator, tests, scripts, infra, bench, docs, CI, local settings, the emulator data and TypeScript sources', () => {
    const leaked = ownFiles().filter(
      (file) =>
        /^(dist\/)?(emulator|scripts|test|bench)\//.test(file) ||
        /^(infra|docs|src|coverage|\.emulator|\.ci|\.vscode)\//.test(file) ||
        /^local\.settings/.test(file) ||
        /\.ts$|\.map$/.test(file),
    );
    expect(leaked).toEqual([]);
  });

  it('holds every file of every production dependency as npm installed it, except source maps', () => {
    // Same rule as the manual zip of docs/deploy.md (`zip … node_modules -x '*.map'`).
    const dependencyFiles = files.filter((file) => file.startsWith('node_modules/') && file !== 'node_modules/.package-lock.json');
    expect(dependencyFiles.length).toBeGreaterThan(1000);
    expect(dependencyFiles.filter((file) => !file.endsWith('.map') && !inPackage.has(file))).toEqual([]);
    for (const name of Object.keys(packageJson.dependencies))
      expect({ name, packaged: inPackage.has(`node_modules/${name}/package.json`) }).toEqual({ name, packaged: true });
  });

  it('holds no devDependency: azure.yaml prunes them before packaging, and the prune keeps only those a production package needs', () => {
    // .funcignore keeps node_modules/ whole, so what keeps jest, azurite and typescript out of the zip is the
    // prepackage hook's `npm prune --omit=dev`; package-lock.json says what that prune leaves.
    const azure = readFileSync(join(root, 'azure.yaml'), 'utf8');
    expect(azure).toMatch(/^ {4}remoteBuild: false$/m);
    const prepackage = azure.slice(azure.indexOf('prepackage:'), azure.indexOf('postpackage:'));
    // Both shells, posix and windows, build and then prune.
    expect(prepackage.match(/run: npm ci[;&\s]+npm run build[;&\s]+npm prune --omit=dev$/gm)).toHaveLength(2);
    // @types/node stays: @types/pg, @types/mysql… (dependencies of applicationinsights' OpenTelemetry
    // instrumentations) depend on it. Type declarations never run; they cost 2.4 MB and no risk.
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dependencies?: Record<string, string> }>;
    };
    const production = productionPackages();
    const neededByProduction = new Set(production.flatMap((path) => Object.keys(lock.packages[path]?.dependencies ?? {})));
    const kept = Object.keys(packageJson.devDependencies).filter((name) => production.includes(`node_modules/${name}`));
    expect(kept.filter((name) => !neededByProduction.has(name))).toEqual([]);
    expect(kept).toEqual(['@types/node']);
  });

  it('uses no negation: azd and Core Tools each parse .funcignore themselves, and a `!` re-include is where parsers differ', () => {
    expect(funcignore.split('\n').filter((line) => line.trim().startsWith('!'))).toEqual([]);
  });

  it('the check can fail: a negation after a directory exclusion lets the emulator back in', () => {
    const leaky = `dist/emulator/\n!dist/**\n`;
    expect(packagedFiles(leaky, ['dist/emulator/index.js', 'dist/src/index.js'])).toEqual(['dist/emulator/index.js', 'dist/src/index.js']);
    expect(packagedFiles(`${funcignore}\n!dist/**\n`, files).filter((file) => file.startsWith('dist/emulator/')).length).toBeGreaterThan(0);
  });
});
