import { isTriggerUrl } from './CallbackUrl';
import type { DependentKind } from './Dependent';
import { currentCallbackUrl } from './currentCallbackUrl';
import { isIntervalElapsed, nextDueAt } from './dueDates';
import { describeFailure, type RotationStep, type TargetFailure } from './failures';
import { otherKey, type KeyType } from './KeyType';
import { readDependents } from './keepDependents';
import { noTelemetry } from './noTelemetry';
import type { CallbackUrlStore, DependentGateway, OperationOptions, WorkflowGateway } from './ports';
import { readTargetState } from './readTargetState';
import type { RotationTarget } from './RotationTarget';
import { sigFingerprint } from './sigFingerprint';
import type { DueReason } from './TargetResult';
import { hasSingleKey } from './WorkflowHost';

/**
 * One line of `sas-rotator status` (docs/design.md §7). Reads only: nothing is regenerated or written.
 * `undefined` means unknown: never published, or the target could not be read (then `error` says why).
 * The CLI's JSON report writes each unknown as null.
 */
export interface TargetStatus {
  readonly workflowId: string;
  readonly trigger: string;
  readonly secretName: string;
  readonly keyType: KeyType | undefined;
  readonly rotatedAt: string | undefined;
  readonly expiresOn: string | undefined;
  readonly nextDueAt: string | undefined;
  readonly sigFingerprint: string | undefined;
  readonly due: boolean | undefined;
  readonly reason: DueReason | undefined;
  /** Whether the published URL is still the current URL of its key, i.e. callers can use it. */
  readonly urlWorks: boolean | undefined;
  readonly error?: TargetFailure;
  /** Each dependent and what it holds (docs/design.md §12); absent or empty without dependents. */
  readonly dependents?: readonly DependentStatus[];
}

/** A status line before anything is known: every field undefined (null in the CLI's JSON). */
export const nothingKnown = {
  keyType: undefined,
  rotatedAt: undefined,
  expiresOn: undefined,
  nextDueAt: undefined,
  sigFingerprint: undefined,
  due: undefined,
  reason: undefined,
  urlWorks: undefined,
} as const satisfies Partial<TargetStatus>;

/**
 * What a dependent holds: `latest` the published URL; `older` a URL that still works but is not the
 * latest (its update failed, or it was changed by hand: the next rotation refuses to cut it off);
 * `broken` a URL that no longer works; `keyVaultReference` a reference to the target's secret
 * (versionless, refreshed by APIM); `unknown` it could not be read or is misconfigured (`error`).
 */
export interface DependentStatus {
  readonly resourceId: string;
  readonly kind: DependentKind;
  readonly holds: 'latest' | 'older' | 'broken' | 'keyVaultReference' | 'unknown';
  readonly heldSigFingerprints?: readonly string[];
  readonly error?: TargetFailure;
}

export async function inspectTarget(
  target: RotationTarget,
  dependencies: {
    readonly gateway: WorkflowGateway;
    readonly store: CallbackUrlStore;
    readonly now: () => Date;
    readonly dependents?: DependentGateway;
  },
  options: OperationOptions = {},
): Promise<TargetStatus> {
  const unknown: TargetStatus = { workflowId: target.workflowId, trigger: target.trigger, secretName: target.secretName, ...nothingKnown };
  let step: RotationStep = 'readSecret';
  try {
    const now = dependencies.now();
    const state = await readTargetState(target, dependencies.store, now, options);
    if (!state || state.kind === 'adopted') {
      return { ...unknown, due: true, reason: 'first' };
    }
    step = 'listBefore';
    const current = await currentCallbackUrl(target, state.keyType, dependencies.gateway, options);
    const urlWorks = current.sig === state.callbackUrl.sig;
    const intervalElapsed = isIntervalElapsed(state.rotatedAt, target.intervalDays, now);
    const needsRepair = !urlWorks || !isTriggerUrl(state.callbackUrl, target.trigger);
    step = 'dependents';
    const dependents = await dependentStatuses(state.callbackUrl.sig, current.sig, state.keyType);
    return {
      ...unknown,
      ...(dependents.length > 0 ? { dependents } : {}),
      keyType: state.keyType,
      rotatedAt: state.rotatedAt.toISOString(),
      expiresOn: state.expiresOn?.toISOString(),
      nextDueAt: nextDueAt(state.rotatedAt, target.intervalDays).toISOString(),
      sigFingerprint: sigFingerprint(state.callbackUrl.sig),
      due: intervalElapsed || needsRepair,
      // As planRotation decides: a single-key host repairs a dead URL before any new hard cut.
      reason:
        needsRepair && (hasSingleKey(target.host) || !intervalElapsed)
          ? 'repair'
          : intervalElapsed
            ? 'interval'
            : needsRepair
              ? 'repair'
              : 'notDue',
      urlWorks,
    };
  } catch (thrown) {
    return { ...unknown, error: describeFailure(step, thrown) };
  }

  /** Reads each dependent and compares what it holds with the published URL and the keys' current URLs. */
  async function dependentStatuses(publishedSig: string, publishedKeySig: string, publishedKey: KeyType): Promise<DependentStatus[]> {
    if ((target.dependents?.length ?? 0) === 0 || !dependencies.dependents) return [];
    const readings = await readDependents({
      target,
      gateway: dependencies.dependents,
      telemetry: noTelemetry,
      vaultUrl: dependencies.store.vaultUrl,
      invocationId: 'status',
      dryRun: true,
      io: options,
    });
    let workingSigs: readonly string[] | undefined;
    const statuses: DependentStatus[] = [];
    for (const result of readings.results) {
      const base = { resourceId: result.resourceId, kind: result.kind };
      const sigs = readings.heldSigs.get(result.resourceId);
      if (result.outcome === 'failed' || sigs === undefined) {
        statuses.push({ ...base, holds: 'unknown', ...(result.error ? { error: result.error } : {}) });
      } else if (result.outcome === 'referencesSecret') {
        statuses.push({ ...base, holds: 'keyVaultReference' });
      } else if (sigs.length > 0 && sigs.every((sig) => sig === publishedSig)) {
        statuses.push({ ...base, holds: 'latest', heldSigFingerprints: result.heldSigFingerprints });
      } else {
        // The other key's URL is listed only when a dependent holds something else than the latest.
        workingSigs ??= hasSingleKey(target.host)
          ? [publishedKeySig]
          : [publishedKeySig, (await currentCallbackUrl(target, otherKey(publishedKey), dependencies.gateway, options)).sig];
        const works = sigs.every((sig) => workingSigs?.includes(sig));
        statuses.push({ ...base, holds: works ? 'older' : 'broken', heldSigFingerprints: result.heldSigFingerprints });
      }
    }
    return statuses;
  }
}
