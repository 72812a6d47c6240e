#!/usr/bin/env node
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigurationError, loadSettings, type RotatorSettings } from '../composition/config';
import { createRotationServices, type RotationServices } from '../composition/createRotationServices';
import { describeTargetResult } from '../rotation/describeTargetResult';
import { formatTable } from './formatTable';
import type { DependentKind } from '../rotation/Dependent';
import { inspectTarget, type TargetStatus } from '../rotation/inspectTarget';
import { mapWithConcurrency } from '../rotation/mapWithConcurrency';
import { runRotation, type RotationRunResult } from '../rotation/runRotation';
import { recordDiscoveryProblems, resolveTargets } from '../composition/resolveTargets';
import { describeDiscoveryProblem, isListingIncomplete, type DiscoveryProblem } from '../rotation/DiscoveryProblem';
import { scrubSecrets } from '../rotation/scrubSecrets';
import { workflowHostLabel } from './workflowHostLabel';

/** Exit statuses (docs/design.md §7). */
export const exitStatus = { ok: 0, targetFailed: 1, badUsage: 2 } as const;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Progress is drawn only on an interactive terminal. */
  readonly isTerminal: boolean;
}

const usage = `Usage: sas-rotator <command> [options]

Commands:
  rotate   Rotate every due target (or the --only one) and publish the fresh callback URLs.
  status   Show each target's key in use, last rotation, next due date and whether its URL works.
  revoke   Emergency: regenerate BOTH keys of one workflow and publish a fresh URL (needs --only).
  emulator Start the bundled local Azure emulator and print the environment to use with it.

Options:
  --targets FILE        Read the targets (JSON array) from FILE instead of ROTATION_TARGETS.
  --only WORKFLOW_ID    Act on this workflow only.
  --force               rotate: rotate the selected targets now even if not due (still alternating).
  --dry-run             rotate: show what would be rotated; change nothing.
  --json                Print one JSON object instead of a table.
  -h, --help            Show this help.

Exit status: 0 all succeeded or nothing due, 1 at least one target failed, 2 bad usage or configuration.
Settings come from the environment; see README.md.`;

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        targets: { type: 'string' },
        only: { type: 'string' },
        force: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.stderr(`${scrubSecrets((error as Error).message)}\n\n${usage}\n`);
    return exitStatus.badUsage;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || command === undefined) {
    (values.help ? io.stdout : io.stderr)(`${usage}\n`);
    return values.help ? exitStatus.ok : exitStatus.badUsage;
  }
  if (positionals.length > 1) {
    io.stderr(`Unexpected argument '${scrubSecrets(positionals[1] ?? '')}'.\n\n${usage}\n`);
    return exitStatus.badUsage;
  }
  if (command === 'emulator') {
    return runEmulatorCommand(io);
  }
  if (command !== 'rotate' && command !== 'status' && command !== 'revoke') {
    io.stderr(`Unknown command '${scrubSecrets(command)}'.\n\n${usage}\n`);
    return exitStatus.badUsage;
  }
  const misuse = checkOptions(command, values);
  if (misuse) {
    io.stderr(`${misuse}\n`);
    return exitStatus.badUsage;
  }

  let settings: RotatorSettings;
  try {
    settings = loadCliSettings(io.env, values.targets, values.only);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      io.stderr(`${error.message}\nNothing was sent to Azure.\n`);
      return exitStatus.badUsage;
    }
    throw error;
  }

  let services: RotationServices;
  try {
    services = createRotationServices(settings, { env: io.env });
  } catch (error) {
    if (error instanceof ConfigurationError) {
      io.stderr(`${error.message}\nNothing was sent to Azure.\n`);
      return exitStatus.badUsage;
    }
    throw error;
  }
  if (services.singleWriterWarning && command !== 'status') {
    io.stderr(`Warning: ${services.singleWriterWarning}\n`);
  }
  try {
    // The same discovery bounds as the timer (page cap, loop detection, time budget), so the CLI
    // always comes back, with the listed targets done.
    const resolved = await resolveTargets(settings, services);
    resolved.notes.forEach((note) => io.stderr(`Discovery: ${note}\n`));
    resolved.problems.forEach((problem) => io.stderr(`Discovery problem: ${describeDiscoveryProblem(problem)}\n`));
    const selected =
      values.only === undefined
        ? resolved.targets
        : resolved.targets.filter((t) => t.workflowId.toLowerCase() === normalizeWorkflowId(values.only as string));
    if (selected.length === 0 && values.only !== undefined && isListingIncomplete(resolved.problems)) {
      // Not found while part of the estate could not be listed: it may well be a discovered target.
      // That is the run failing (exit 1, events for the alerts), never a usage error.
      if (command !== 'status' && !values['dry-run']) recordDiscoveryProblems(resolved.problems, services.telemetry, randomUUID());
      io.stderr(
        `--only ${scrubSecrets(values.only)}: not found, but discovery was incomplete (above), so it may be a discovered target that could not be listed. Nothing was done. Fix: remove the discovery problem, or list the workflow in ROTATION_TARGETS, and run again.\n`,
      );
      return exitStatus.targetFailed;
    }
    if (selected.length === 0 && values.only !== undefined) {
      io.stderr(`--only ${scrubSecrets(values.only)}: no listed or discovered target has this workflowId.\n`);
      return exitStatus.badUsage;
    }
    const incomplete = resolved.problems.length > 0 ? exitStatus.targetFailed : exitStatus.ok;
    if (command === 'status') {
      return Math.max(incomplete, await runStatus({ ...settings, targets: selected }, services, values.json, io, resolved.problems));
    }
    const mode = command === 'revoke' ? 'revoke' : values['dry-run'] ? 'dryRun' : 'rotate';
    const invocationId = randomUUID();
    if (mode !== 'dryRun') {
      // Like a timer run: what this run could not see is an event the alerts see.
      recordDiscoveryProblems(resolved.problems, services.telemetry, invocationId);
    }
    const result = await runRotation(selected, services, {
      mode,
      force: values.force,
      invocationId,
      concurrency: settings.concurrency,
      discoveryProblems: resolved.problems.length,
      onTargetDone: io.isTerminal && !values.json ? progressReporter(io) : undefined,
    });
    io.stdout(values.json ? `${JSON.stringify(toJsonReport(result, resolved.problems), null, 2)}\n` : `${formatRunReport(result)}\n`);
    const skippedRevoke = command === 'revoke' ? result.targets.find((t) => t.skipped) : undefined;
    if (skippedRevoke?.skipped) {
      // An emergency revoke that did not happen must not look like success.
      io.stderr(`revoke did not run (${skippedRevoke.skipped.code}): ${skippedRevoke.skipped.message} Nothing was revoked.\n`);
      return exitStatus.targetFailed;
    }
    return result.outcome === 'Failed' || result.outcome === 'PartiallyFailed' ? exitStatus.targetFailed : incomplete;
  } finally {
    for (const warning of await services.close()) {
      io.stderr(`Warning: ${scrubSecrets(warning)}\n`);
    }
  }
}

function checkOptions(command: string, values: { only?: string; force: boolean; 'dry-run': boolean }): string | undefined {
  if (command === 'revoke' && !values.only) {
    return 'revoke needs --only WORKFLOW_ID: it regenerates both keys of one workflow, breaking every URL handed out before.';
  }
  if (command !== 'rotate' && (values.force || values['dry-run'])) {
    return `--force and --dry-run apply to rotate only, not ${command}.`;
  }
  if (values.force && values['dry-run']) {
    return '--force and --dry-run cannot be combined: use --dry-run alone to see what is due.';
  }
  return undefined;
}

function loadCliSettings(env: CliIo['env'], targetsFile: string | undefined, only: string | undefined): RotatorSettings {
  let targetsJson;
  if (targetsFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(targetsFile, 'utf8');
    } catch (error) {
      throw new ConfigurationError([
        `--targets ${targetsFile}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
      ]);
    }
    targetsJson = { text, source: targetsFile };
  }
  const settings = loadSettings(env, { targetsJson });
  if (
    only !== undefined &&
    settings.discoveryScopes.length === 0 &&
    !settings.targets.some((t) => t.workflowId.toLowerCase() === normalizeWorkflowId(only))
  ) {
    throw new ConfigurationError([
      `--only ${scrubSecrets(only)}: no configured target has this workflowId. Fix: copy the workflowId from your targets.`,
    ]);
  }
  return settings;
}

function normalizeWorkflowId(workflowId: string): string {
  return workflowId.trim().replace(/\/+$/, '').toLowerCase();
}

async function runStatus(
  settings: RotatorSettings,
  services: RotationServices,
  json: boolean,
  io: CliIo,
  discoveryProblems: readonly DiscoveryProblem[],
): Promise<number> {
  const statuses = await mapWithConcurrency(settings.targets, settings.concurrency, (target) => inspectTarget(target, services));
  if (json) {
    io.stdout(
      `${JSON.stringify({ targets: statuses.map(toJsonStatus), discoveryProblems: discoveryProblems.map(toJsonProblem) }, null, 2)}\n`,
    );
  } else {
    io.stdout(`${formatStatusReport(statuses)}\n`);
  }
  // A dependent that holds anything but the latest URL (or a reference to it) needs attention: the gate holds its rotation.
  const dependentBehind = statuses.some((s) => (s.dependents ?? []).some((d) => d.holds !== 'latest' && d.holds !== 'keyVaultReference'));
  return statuses.some((s) => s.error) || dependentBehind ? exitStatus.targetFailed : exitStatus.ok;
}

/** docs/design.md §7's shape, every field present: what is not known is null, not missing. */
function toJsonReport(result: RotationRunResult, discoveryProblems: readonly DiscoveryProblem[]): object {
  return {
    outcome: result.outcome,
    invocationId: result.invocationId,
    discoveryProblems: discoveryProblems.map(toJsonProblem),
    targets: result.targets.map((t) => ({
      workflowId: t.workflowId,
      trigger: t.trigger,
      secretName: t.secretName,
      action: t.action,
      reason: t.reason ?? null,
      keyType: t.keyType ?? null,
      secretVersion: t.secretVersion ?? null,
      oldSigFingerprint: t.oldSigFingerprint ?? null,
      newSigFingerprint: t.newSigFingerprint ?? null,
      ...(t.error ? { error: t.error } : {}),
      ...(t.skipped ? { skipped: t.skipped } : {}),
      dependents: (t.dependents ?? []).map((d) => ({ ...d, heldSigFingerprints: d.heldSigFingerprints ?? null })),
    })),
  };
}

/** docs/design.md §7's status line, every field present: what is not known is null, not missing. */
function toJsonStatus(s: TargetStatus): object {
  return {
    workflowId: s.workflowId,
    trigger: s.trigger,
    secretName: s.secretName,
    keyType: s.keyType ?? null,
    rotatedAt: s.rotatedAt ?? null,
    expiresOn: s.expiresOn ?? null,
    nextDueAt: s.nextDueAt ?? null,
    sigFingerprint: s.sigFingerprint ?? null,
    due: s.due ?? null,
    reason: s.reason ?? null,
    urlWorks: s.urlWorks ?? null,
    ...(s.error ? { error: s.error } : {}),
    dependents: (s.dependents ?? []).map((d) => ({ ...d, heldSigFingerprints: d.heldSigFingerprints ?? null })),
  };
}

/** What is not known is null in JSON reports (docs/design.md §7). */
function toJsonProblem(problem: DiscoveryProblem): object {
  return { ...problem, statusCode: problem.statusCode ?? null };
}

function workflowName(workflowId: string): string {
  return workflowId.split('/').pop() ?? workflowId;
}

export function formatRunReport(result: RotationRunResult): string {
  const rows = result.targets.map((t) => [
    workflowName(t.workflowId),
    workflowHostLabel(t.workflowId),
    t.trigger,
    t.action,
    t.reason ?? '-',
    t.keyType ?? '-',
    t.oldSigFingerprint || t.newSigFingerprint ? `${t.oldSigFingerprint ?? '-'} -> ${t.newSigFingerprint ?? '-'}` : '-',
    t.secretVersion ?? '-',
  ]);
  const table = formatTable(
    ['WORKFLOW', 'HOST', 'TRIGGER', 'RESULT', 'REASON', 'KEY', 'SIG FINGERPRINT (OLD -> NEW)', 'SECRET VERSION'],
    rows,
  );
  const notes = result.targets
    .filter((t) => t.skipped)
    .map((t) => `  ${workflowName(t.workflowId)}: skipped (${t.skipped?.code}): ${t.skipped?.message}`);
  const problems = result.targets
    .filter((t) => t.error)
    .map(
      (t) =>
        `  ${workflowName(t.workflowId)}: ${t.action === 'failed' ? `failed at ${t.error?.step}` : 'skipped'}${t.error?.statusCode ? ` (${t.error.statusCode}${t.error.code ? ` ${t.error.code}` : ''})` : t.error?.code ? ` (${t.error.code})` : ''}: ${t.error?.message}`,
    );
  const dependents = result.targets.flatMap((t) =>
    (t.dependents ?? []).map((d) => [
      workflowName(t.workflowId),
      dependentLabel(d.resourceId, d.kind),
      d.outcome === 'planned' ? 'would update' : d.outcome,
      d.heldSigFingerprints?.join(',') || '-',
      d.error ? `${d.error.code ?? d.error.statusCode ?? 'error'}: ${d.error.message}` : '',
    ]),
  );
  return [
    table,
    '',
    `Outcome: ${result.outcome} (invocation ${result.invocationId}, ${result.durationMs} ms)`,
    ...(dependents.length
      ? ['', 'Dependents:', formatTable(['WORKFLOW', 'DEPENDENT', 'RESULT', 'HELD (FINGERPRINT)', 'PROBLEM'], dependents)]
      : []),
    ...(notes.length ? ['', 'Skipped:', ...notes] : []),
    ...(problems.length ? ['', 'Problems:', ...problems] : []),
  ].join('\n');
}

export function formatStatusReport(statuses: readonly TargetStatus[]): string {
  const rows = statuses.map((s) => {
    // undefined is unknown, unless the secret really does not exist: then nothing was ever rotated and it is due now.
    const neverPublished = !s.error && s.reason === 'first';
    const unknown = s.error ? 'unknown' : '-';
    return [
      workflowName(s.workflowId),
      workflowHostLabel(s.workflowId),
      s.secretName,
      s.keyType ?? unknown,
      s.rotatedAt ?? (neverPublished ? 'never' : unknown),
      s.nextDueAt ?? (neverPublished ? 'now' : unknown),
      s.sigFingerprint ?? unknown,
      s.urlWorks === undefined ? unknown : s.urlWorks ? 'yes' : 'NO',
      s.due === undefined ? 'unknown' : s.due ? `yes (${s.reason})` : 'no',
    ];
  });
  const table = formatTable(
    ['WORKFLOW', 'HOST', 'SECRET', 'KEY IN USE', 'LAST ROTATION', 'NEXT DUE', 'SIG FINGERPRINT', 'URL WORKS', 'DUE'],
    rows,
  );
  const problems = statuses
    .filter((s) => s.error)
    .map(
      (s) =>
        `  ${workflowName(s.workflowId)}: cannot read (${[s.error?.statusCode, s.error?.code].filter(Boolean).join(' ')}): ${s.error?.message}`,
    );
  const dependents = statuses.flatMap((s) =>
    (s.dependents ?? []).map((d) => [
      workflowName(s.workflowId),
      dependentLabel(d.resourceId, d.kind),
      d.holds === 'latest'
        ? 'latest URL'
        : d.holds === 'older'
          ? 'older URL (works)'
          : d.holds === 'broken'
            ? 'URL that NO LONGER WORKS'
            : d.holds === 'keyVaultReference'
              ? 'Key Vault reference'
              : 'unknown',
      d.heldSigFingerprints?.join(',') || '-',
      d.error ? `${d.error.code ?? d.error.statusCode ?? 'error'}: ${d.error.message}` : '',
    ]),
  );
  return [
    table,
    ...(dependents.length
      ? ['', 'Dependents:', formatTable(['WORKFLOW', 'DEPENDENT', 'HOLDS', 'FINGERPRINT', 'PROBLEM'], dependents)]
      : []),
    ...(problems.length ? ['', 'Problems:', ...problems] : []),
  ].join('\n');
}

/** `apim named value orders-sig`, `action group on-call`, `event subscription to-orders`: the kind and the last segment. */
function dependentLabel(resourceId: string, kind: DependentKind): string {
  const name = resourceId.split('/').pop() ?? resourceId;
  return `${kind === 'apimNamedValue' ? 'APIM named value' : kind === 'actionGroup' ? 'action group' : 'event subscription'} ${name}`;
}

function progressReporter(io: CliIo): (result: Parameters<typeof describeTargetResult>[0], done: number, total: number) => void {
  return (result, done, total) => {
    io.stderr(`[${done}/${total}] ${describeTargetResult(result)}\n`);
  };
}

async function runEmulatorCommand(io: CliIo): Promise<number> {
  // Resolved at run time from the emulator's own entry point (also the `sas-rotator-emulator` bin): the
  // emulator ships with the source checkout, not with a deployment, and src/ never imports it.
  let emulatorModule: { runEmulatorCommand(io: CliIo): Promise<number> };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- path computed at run time on purpose
    emulatorModule = require(join(__dirname, '..', '..', 'emulator', 'main'));
  } catch {
    io.stderr('The emulator is part of the source checkout, not of a deployed package: run it from a clone of the repository.\n');
    return exitStatus.badUsage;
  }
  return emulatorModule.runEmulatorCommand(io);
}

/**
 * Ends the process once what it printed has been handed to the OS. By then the run is over and its
 * telemetry flushed or given up (bounded); what the telemetry SDK leaves behind — statsbeat's timer,
 * which its shutdown does not clear, or a request to an endpoint that never answers — must not keep a
 * finished command alive.
 */
function exitWhenOutputWritten(status: number): void {
  process.exitCode = status;
  let pending = 2;
  const done = (): void => {
    pending -= 1;
    if (pending === 0) process.exit();
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

if (require.main === module) {
  main(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    isTerminal: Boolean(process.stderr.isTTY),
  }).then(
    (status) => exitWhenOutputWritten(status),
    (error: unknown) => {
      process.stderr.write(`sas-rotator: ${scrubSecrets(error instanceof Error ? error.message : String(error))}\n`);
      exitWhenOutputWritten(exitStatus.targetFailed);
    },
  );
}
