import type { CallbackUrl } from './CallbackUrl';
import { callbackEndpoint, type Dependent, type DependentHolding, type DependentKind } from './Dependent';
import { describeFailure, TargetRotationError, type TargetFailure } from './failures';
import type { KeyType } from './KeyType';
import type { DependentGateway, OperationOptions, RotationTelemetry } from './ports';
import type { RotationTarget } from './RotationTarget';
import { sigFingerprint } from './sigFingerprint';

/**
 * What happened to one dependent in a run (docs/design.md §12), reported without its value:
 * - `current`: it already held the URL in question; `updated`: it was brought to it now;
 * - `planned`: a dry run would update it; `referencesSecret`: a Key Vault reference to the target's
 *   secret, versionless, which APIM refreshes by itself;
 * - `failed`: it could not be read, updated or is misconfigured (`error` says which and how to fix).
 */
export interface DependentResult {
  readonly resourceId: string;
  readonly kind: DependentKind;
  readonly outcome: 'current' | 'updated' | 'planned' | 'referencesSecret' | 'failed';
  /** Fingerprints of the sigs it held when read (one per copy), never the sigs. */
  readonly heldSigFingerprints?: readonly string[];
  readonly error?: TargetFailure;
}

/** What is known of each dependent's holding before a regeneration: the gate's input. */
export interface DependentReadings {
  readonly results: DependentResult[];
  /** The sigs each dependent is known to hold now; undefined when it could not be read (then it blocks the gate). */
  readonly heldSigs: Map<string, readonly string[] | undefined>;
}

export interface KeepDependentsContext {
  readonly target: RotationTarget;
  readonly gateway: DependentGateway;
  readonly telemetry: RotationTelemetry;
  /** The vault the target's secret lives in, to check Key Vault references against. */
  readonly vaultUrl: string;
  readonly invocationId: string;
  /** A dry run reads only: nothing is updated and nothing recorded. */
  readonly dryRun: boolean;
  readonly io: OperationOptions;
  /** Asked once, before the first write: does the URL about to be written still work? If not, nothing is written. */
  readonly confirmWorks?: () => Promise<boolean>;
}

/**
 * Brings every dependent to `url` (the latest published URL), one after the other: a dependent
 * already holding it is left alone, a Key Vault reference is only checked. Each update and each
 * failure is recorded; nothing throws. Returns what each dependent holds afterwards.
 */
export async function keepDependentsAt(url: CallbackUrl, context: KeepDependentsContext): Promise<DependentReadings> {
  const readings: DependentReadings = { results: [], heldSigs: new Map() };
  let confirmed: Promise<boolean> | undefined;
  const confirmWorks = context.confirmWorks && (() => (confirmed ??= (context.confirmWorks as () => Promise<boolean>)()));
  for (const dependent of context.target.dependents ?? []) {
    const { result, heldSigs } = await keepDependentAt(dependent, url, { ...context, confirmWorks });
    readings.results.push(result);
    readings.heldSigs.set(dependent.resourceId, heldSigs);
  }
  return readings;
}

/** Reads every dependent without changing any (the gate's input when nothing is published yet). */
export async function readDependents(context: KeepDependentsContext): Promise<DependentReadings> {
  const readings: DependentReadings = { results: [], heldSigs: new Map() };
  for (const dependent of context.target.dependents ?? []) {
    try {
      const holding = await context.gateway.read(dependent, context.target, context.io);
      if (holding.form === 'keyVaultReference') {
        const checked = checkKeyVaultReference(dependent, holding, context);
        if (checked.error) record(dependent, checked.error, context);
        readings.results.push(checked);
        readings.heldSigs.set(dependent.resourceId, []);
      } else {
        readings.results.push({
          resourceId: dependent.resourceId,
          kind: dependent.kind,
          outcome: 'current',
          heldSigFingerprints: fingerprints(holding),
        });
        readings.heldSigs.set(dependent.resourceId, holding.sigs);
      }
    } catch (thrown) {
      const error = describeFailure('dependents', thrown);
      record(dependent, error, context);
      readings.results.push({ resourceId: dependent.resourceId, kind: dependent.kind, outcome: 'failed', error });
      readings.heldSigs.set(dependent.resourceId, undefined);
    }
  }
  return readings;
}

/**
 * The gate (docs/design.md §12): before `key` is regenerated, no dependent may hold a URL signed with
 * it (`keySig`), and every dependent must have been read. Otherwise nothing is regenerated: the
 * target fails with `DependentNotUpdated`, naming each dependent by resource ID and fingerprint.
 */
export function requireNoDependentHolds(
  key: KeyType,
  keySig: string,
  readings: DependentReadings,
  target: RotationTarget,
  /** Whether sas-rotator published a URL the dependents can be moved to (not on a first rotation or adoption). */
  canMoveDependents = true,
): void {
  const blocking = [...readings.heldSigs.entries()].filter(([, sigs]) => sigs === undefined || sigs.includes(keySig));
  if (blocking.length === 0) return;
  const named = blocking
    .map(([resourceId, sigs]) =>
      sigs === undefined ? `${resourceId} (could not be read)` : `${resourceId} (holds ${sigFingerprint(keySig)})`,
    )
    .join('; ');
  throw new TargetRotationError({
    step: 'dependents',
    code: 'DependentNotUpdated',
    message:
      `regenerating the ${key} key of ${target.workflowId} would cut off ${blocking.length === 1 ? 'a dependent that still holds' : 'dependents that still hold'} its URL or may: ${named}; nothing was regenerated. ` +
      (canMoveDependents
        ? `Its update is retried first on the next run. Fix: see the dependent's own failure (SasKeyDependentUpdateFailed), e.g. grant sas-rotator's identity write access to it, or undo a manual change.`
        : `Nothing is published yet to move it to, and the other key is in use too (by a dependent or the adopted URL). Fix: point every dependent at the same key's URL (the portal's Primary URL, say), then run again.`),
  });
}

async function keepDependentAt(
  dependent: Dependent,
  url: CallbackUrl,
  context: KeepDependentsContext,
): Promise<{ result: DependentResult; heldSigs: readonly string[] | undefined }> {
  const base = { resourceId: dependent.resourceId, kind: dependent.kind };
  let holding: DependentHolding | undefined;
  try {
    holding = await context.gateway.read(dependent, context.target, context.io);
    if (holding.form === 'keyVaultReference') {
      const checked = checkKeyVaultReference(dependent, holding, context);
      if (checked.error) record(dependent, checked.error, context);
      return { result: checked, heldSigs: [] };
    }
    const heldSigFingerprints = fingerprints(holding);
    const ours = callbackEndpoint(url.value);
    const elsewhere = holding.form === 'url' ? (holding.endpoints ?? []).filter((endpoint) => endpoint !== ours) : [];
    if (elsewhere.length > 0) {
      // A copy of another workflow's or trigger's URL: repointing it would silently send that caller's
      // requests here. Its sigs are not ours, so it does not hold up the gate either.
      const error: TargetFailure = {
        step: 'dependents',
        code: 'DependentCallsOtherWorkflow',
        message: `${dependent.resourceId} holds the URL of another workflow or trigger, not of trigger '${context.target.trigger}' of ${context.target.workflowId}; it was left as it is. Fix: remove it from this target's dependents, or list it on the target whose workflow it calls.`,
      };
      record(dependent, error, context);
      return { result: { ...base, outcome: 'failed', heldSigFingerprints, error }, heldSigs: holding.sigs };
    }
    if (holding.sigs.length > 0 && holding.sigs.every((sig) => sig === url.sig)) {
      return { result: { ...base, outcome: 'current', heldSigFingerprints }, heldSigs: holding.sigs };
    }
    if (context.dryRun) {
      return { result: { ...base, outcome: 'planned', heldSigFingerprints }, heldSigs: holding.sigs };
    }
    if (context.confirmWorks && !(await context.confirmWorks())) {
      // The URL to write is dead (its key was regenerated outside sas-rotator): keep what the dependent holds.
      return {
        result: {
          ...base,
          outcome: 'failed',
          heldSigFingerprints,
          error: {
            step: 'dependents',
            code: 'PublishedUrlDead',
            message: `the latest published URL no longer works, so it was not written to ${dependent.resourceId}; this run's publication replaces it.`,
          },
        },
        heldSigs: holding.sigs,
      };
    }
    await context.gateway.update(dependent, context.target, url, context.io);
    context.telemetry.trackDependentUpdated({
      workflowId: context.target.workflowId,
      dependentId: dependent.resourceId,
      dependentKind: dependent.kind,
      form: holding.form,
      oldSigFingerprints: heldSigFingerprints.join(','),
      newSigFingerprint: sigFingerprint(url.sig),
      invocationId: context.invocationId,
    });
    return { result: { ...base, outcome: 'updated', heldSigFingerprints }, heldSigs: [url.sig] };
  } catch (thrown) {
    // A management API may quote the value it refused: cut every sig known here out of the message.
    const known = [url.sig, ...(holding && holding.form !== 'keyVaultReference' ? holding.sigs : [])];
    const error = withoutSigs(describeFailure('dependents', thrown), known);
    record(dependent, error, context);
    return {
      result: {
        ...base,
        outcome: 'failed',
        ...(holding && holding.form !== 'keyVaultReference' ? { heldSigFingerprints: fingerprints(holding) } : {}),
        error,
      },
      // What it held before the failed update; unknown when it could not even be read.
      heldSigs: holding && holding.form !== 'keyVaultReference' ? holding.sigs : undefined,
    };
  }
}

/**
 * A Key Vault-backed named value is right when it points at the target's secret in sas-rotator's
 * vault without a version: APIM then refreshes it within 4 hours, well inside the one interval the
 * previous URL stays valid. A pinned version never refreshes and dies two rotations later.
 */
function checkKeyVaultReference(
  dependent: Dependent,
  holding: Extract<DependentHolding, { form: 'keyVaultReference' }>,
  context: KeepDependentsContext,
): DependentResult {
  const base = { resourceId: dependent.resourceId, kind: dependent.kind };
  const problem = keyVaultReferenceProblem(holding.secretIdentifier, context.target.secretName, context.vaultUrl);
  if (!problem) return { ...base, outcome: 'referencesSecret' };
  return {
    ...base,
    outcome: 'failed',
    error: {
      step: 'dependents',
      code: problem.code,
      message: `${dependent.resourceId} is a Key Vault-backed named value that ${problem.text}. Fix: set its secret identifier to ${context.vaultUrl.replace(/\/+$/, '')}/secrets/${context.target.secretName} (no version), so APIM refreshes it after each rotation.`,
    },
  };
}

function keyVaultReferenceProblem(
  secretIdentifier: string,
  secretName: string,
  vaultUrl: string,
): { readonly code: string; readonly text: string } | undefined {
  let reference: URL;
  let vault: URL;
  try {
    reference = new URL(secretIdentifier);
    vault = new URL(vaultUrl);
  } catch {
    return { code: 'DependentReferencesOtherSecret', text: 'has a secret identifier that is not a URL' };
  }
  const [collection, name, version] = reference.pathname.split('/').filter((segment) => segment !== '');
  if (
    reference.host.toLowerCase() !== vault.host.toLowerCase() ||
    collection !== 'secrets' ||
    name?.toLowerCase() !== secretName.toLowerCase()
  ) {
    return { code: 'DependentReferencesOtherSecret', text: `does not reference secret '${secretName}' of sas-rotator's vault` };
  }
  if (version !== undefined) {
    return { code: 'DependentReferencePinned', text: `references one version of secret '${secretName}', which APIM never refreshes` };
  }
  return undefined;
}

function withoutSigs(failure: TargetFailure, sigs: readonly string[]): TargetFailure {
  let message = failure.message;
  for (const sig of sigs.filter((s) => s.length > 0)) {
    for (const form of new Set([sig, encodeURIComponent(sig)])) message = message.split(form).join(`<sig ${sigFingerprint(sig)}>`);
  }
  return message === failure.message ? failure : { ...failure, message };
}

function fingerprints(holding: Exclude<DependentHolding, { form: 'keyVaultReference' }>): string[] {
  return holding.sigs.map(sigFingerprint);
}

function record(dependent: Dependent, error: TargetFailure, context: KeepDependentsContext): void {
  if (context.dryRun) return;
  context.telemetry.trackDependentFailed({
    workflowId: context.target.workflowId,
    dependentId: dependent.resourceId,
    dependentKind: dependent.kind,
    statusCode: error.statusCode,
    errorCode: error.code,
    message: error.message,
    invocationId: context.invocationId,
  });
}
