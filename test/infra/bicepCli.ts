import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { join, relative } from 'node:path';
import { filesUnder } from './bicepSyntax';

/**
 * The real Bicep compiler, run as a child process. `.ci/bicep/install.sh` restores it from NuGet
 * (`Azure.Bicep.CommandLine.linux-x64`, pinned in `.ci/bicep/bicep.csproj`) and `.ci/run` exports its
 * path as BICEP_PATH. Bicep reports every type problem (a misspelt property, an unknown API version) as
 * a Warning and still exits 0, so the caller must judge by the diagnostics, never by the exit code.
 */

const repositoryRoot = join(__dirname, '..', '..');

export interface BicepLocation {
  /** The binary, when one was found. */
  readonly path: string | undefined;
  /** Where it was looked for, for the "skipped" message. */
  readonly searched: readonly string[];
}

/** The version pinned for CI, read from the restore project so that it is written down once. */
export function pinnedBicepVersion(): string {
  const project = readFileSync(join(repositoryRoot, '.ci', 'bicep', 'bicep.csproj'), 'utf8');
  const version = /<BicepCliVersion>([^<]+)<\/BicepCliVersion>/.exec(project)?.[1];
  if (!version) throw new Error('.ci/bicep/bicep.csproj does not pin BicepCliVersion');
  return version;
}

/** BICEP_PATH, else the pinned package in the NuGet global packages folder (NUGET_PACKAGES or ~/.nuget/packages). */
export function locateBicep(environment: NodeJS.ProcessEnv = process.env): BicepLocation {
  const candidates: string[] = [];
  if (environment['BICEP_PATH']) candidates.push(environment['BICEP_PATH']);
  const packages = environment['NUGET_PACKAGES'] || join(homedir(), '.nuget', 'packages');
  candidates.push(join(packages, 'azure.bicep.commandline.linux-x64', pinnedBicepVersion(), 'tools', 'bicep'));
  // Only the linux-x64 package is pinned: on another platform the binary would not run.
  const usable = process.platform === 'linux' && process.arch === 'x64' ? candidates.find((candidate) => existsSync(candidate)) : undefined;
  return { path: usable, searched: candidates };
}

export interface BicepDiagnostic {
  /** Relative to the directory the caller names (usually infra/), with forward slashes. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly level: string;
  readonly code: string;
  readonly message: string;
}

export interface BicepRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly diagnostics: readonly BicepDiagnostic[];
  /** stderr lines that are not diagnostics: also a failure, since a clean run prints nothing there. */
  readonly otherOutput: readonly string[];
  readonly elapsedMs: number;
}

const diagnosticLine = /^(.*)\((\d+),(\d+)\) : (Error|Warning|Info) ([\w-]+): (.*)$/;

/** Splits Bicep's stderr into diagnostics (`file(line,col) : Level CODE: message`) and anything else. */
export function parseBicepOutput(stderr: string, baseDirectory: string): { diagnostics: BicepDiagnostic[]; otherOutput: string[] } {
  const diagnostics: BicepDiagnostic[] = [];
  const otherOutput: string[] = [];
  for (const line of stderr.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const match = diagnosticLine.exec(line);
    if (!match) {
      otherOutput.push(line);
      continue;
    }
    const [, file = '', row = '0', column = '0', level = '', code = '', message = ''] = match;
    diagnostics.push({
      file: relative(baseDirectory, file).split('\\').join('/'),
      line: Number(row),
      column: Number(column),
      level,
      code,
      message,
    });
  }
  return { diagnostics, otherOutput };
}

let running = 0;
const waiting: Array<() => void> = [];

/**
 * Runs `bicep <args>` in `baseDirectory` (where a `--pattern` glob is resolved, and what diagnostics
 * are made relative to). At most one process per CPU at a time: a Bicep process is a multi-threaded
 * .NET start, and more processes than cores made three runs take longer together (6.6 s on 2 cores)
 * than one after the other (4.7 s).
 */
export async function runBicep(bicep: string, args: readonly string[], baseDirectory: string): Promise<BicepRun> {
  if (running >= availableParallelism()) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  try {
    return await runBicepNow(bicep, args, baseDirectory);
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

function runBicepNow(bicep: string, args: readonly string[], baseDirectory: string): Promise<BicepRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(bicep, [...args], { cwd: baseDirectory, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      if (exitCode === -1) {
        reject(error ?? new Error(`bicep ${args.join(' ')} did not run`));
        return;
      }
      resolve({ exitCode, stdout, ...parseBicepOutput(stderr, baseDirectory), elapsedMs: performance.now() - started });
    });
  });
}

/** `path(line,col) : Level CODE: message`, relative, as a reader of a failed test wants it. */
export function describeDiagnostic(diagnostic: BicepDiagnostic): string {
  return `${diagnostic.file}(${diagnostic.line},${diagnostic.column}) : ${diagnostic.level} ${diagnostic.code}: ${diagnostic.message}`;
}

/**
 * The templates a user deploys on their own: every file that no other file uses as a module
 * (main.bicep, deployed by azd, and access/workflow-access.bicep, deployed by hand).
 */
export function bicepEntryPoints(infraDirectory: string): string[] {
  const files = filesUnder(infraDirectory, '.bicep');
  const used = new Set<string>();
  for (const file of files) {
    for (const match of readFileSync(file, 'utf8').matchAll(/^\s*module\s+\w+\s+'([^']+\.bicep)'/gm)) {
      used.add(join(file, '..', match[1] ?? ''));
    }
  }
  return files.filter((file) => !used.has(file));
}

/**
 * `#disable-next-line` / `#disable-diagnostics` directives without a `// reason` after the codes: a
 * warning may be silenced only where the line says why.
 */
export function unexplainedSuppressions(files: readonly string[], baseDirectory: string): string[] {
  const unexplained: string[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8')
      .split(/\r?\n/)
      .forEach((line, index) => {
        if (
          /#disable-(next-line|diagnostics)\b/.test(line) &&
          !/#disable-(next-line|diagnostics)(\s+[\w-]+)+\s+\/\/\s*\S.{5,}/.test(line)
        ) {
          unexplained.push(`${relative(baseDirectory, file)}:${index + 1}: ${line.trim()}`);
        }
      });
  }
  return unexplained;
}
