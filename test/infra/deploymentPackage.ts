import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ignore from 'ignore';

/**
 * The files of the zip-deploy package: the project folder after the build and `npm prune --omit=dev`
 * (azure.yaml's prepackage hook), minus what `.funcignore` excludes. azd and Azure Functions Core Tools
 * both apply `.funcignore` with gitignore syntax over the project folder
 * (https://learn.microsoft.com/azure/developer/azure-developer-cli/service-packaging-ignore-files);
 * `ignore` implements git's rules, including that a later `!pattern` re-includes what an earlier one
 * excluded, and that nothing inside an excluded directory can be re-included.
 */

const root = join(__dirname, '..', '..');

interface LockPackage {
  dev?: boolean;
  link?: boolean;
}

/** node_modules/… package folders npm keeps after `npm prune --omit=dev`, per package-lock.json. */
export function productionPackages(projectRoot = root): string[] {
  const lock = JSON.parse(readFileSync(join(projectRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockPackage> };
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path.startsWith('node_modules/') && !entry.dev && !entry.link)
    .map(([path]) => path);
}

function filesUnder(projectRoot: string, folder: string, skip: (name: string) => boolean = () => false): string[] {
  const absolute = join(projectRoot, folder);
  if (!existsSync(absolute)) return [];
  return readdirSync(absolute, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && !skip(relative(absolute, join(entry.parentPath, entry.name))))
    .map((entry) => relative(projectRoot, join(entry.parentPath, entry.name)).split('\\').join('/'));
}

/**
 * What the project folder holds when azd packages it: the tracked files, the build output (dist/), the
 * production dependencies as installed (each package's own files; nested node_modules are packages of
 * their own in the lock), and files a developer's folder has but git does not track.
 */
export function projectFolderAtPackaging(projectRoot = root): string[] {
  const tracked = execFileSync('git', ['ls-files'], { cwd: projectRoot, encoding: 'utf8' }).split('\n').filter(Boolean);
  const built = filesUnder(projectRoot, 'dist');
  const dependencies = productionPackages(projectRoot).flatMap((folder) =>
    filesUnder(projectRoot, folder, (path) => path.split('/').includes('node_modules')),
  );
  // Untracked files that exist in a working folder (or after `tsc -p tsconfig.json`), present or not here.
  const local = [
    'local.settings.json',
    '.emulator/azurite/__blobstorage__/blob',
    'coverage/lcov.info',
    'dist/test/infra/kql.test.js',
    'dist/src/index.js.map',
    'node_modules/.package-lock.json',
  ];
  return [...new Set([...tracked, ...built, ...dependencies, ...local])].sort();
}

/** The subset of `files` that `.funcignore` lets into the package. */
export function packagedFiles(funcignore: string, files: readonly string[]): string[] {
  const rules = ignore().add(funcignore);
  return files.filter((file) => !rules.ignores(file));
}
