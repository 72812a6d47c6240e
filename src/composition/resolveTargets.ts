import type { RotatorSettings } from './config';
import type { RotationServices } from './createRotationServices';
import type { DiscoveryProblem } from '../rotation/DiscoveryProblem';
import { publishedWorkflowId } from '../rotation/publication';
import { contestedSecretNames, mergeTargets } from '../rotation/mergeTargets';
import type { CallbackUrlStore, RotationTelemetry } from '../rotation/ports';
import type { RotationTarget } from '../rotation/RotationTarget';

export interface ResolvedTargets {
  readonly targets: readonly RotationTarget[];
  /** Discovered targets that are listed too (the listed settings are used). */
  readonly notes: readonly string[];
  /** What discovery could not see or left out (scopes, sites, bad tags, secret name collisions): the run is incomplete. */
  readonly problems: readonly DiscoveryProblem[];
}

/**
 * The targets of this run: the listed ones, plus what ROTATION_DISCOVERY finds right now, within
 * discovery's own bounds (page cap, loop detection, time budget), so the listed targets always get
 * the rest of the run.
 */
export async function resolveTargets(
  settings: RotatorSettings,
  services: Pick<RotationServices, 'discovery' | 'store'>,
  abortSignal?: AbortSignal,
): Promise<ResolvedTargets> {
  if (settings.discoveryScopes.length === 0) {
    return { targets: settings.targets, notes: [], problems: [] };
  }
  const discovered = await services.discovery.discover(settings.discoveryScopes, { abortSignal });
  const owners = await secretOwners(contestedSecretNames(discovered.targets), services.store, abortSignal);
  const merged = mergeTargets(settings.targets, discovered.targets, owners);
  return { targets: merged.targets, notes: merged.notes, problems: [...discovered.problems, ...merged.problems] };
}

/**
 * Which workflow each contested secret belongs to, from its latest version's tags. Read only when two
 * discovered targets collide (rare); a secret that cannot be read leaves the choice to the resource
 * ID, and the target that then reads it fails on its own if the secret is not its own.
 */
async function secretOwners(
  names: readonly string[],
  store: CallbackUrlStore,
  abortSignal: AbortSignal | undefined,
): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  await Promise.all(
    names.map(async (name) => {
      const secret = await store.readLatest(name, { abortSignal }).catch(() => undefined);
      const owner = secret ? publishedWorkflowId(secret.tags) : undefined;
      if (owner) owners.set(name, owner.toLowerCase());
    }),
  );
  return owners;
}

/** One `SasKeyDiscoveryFailed` per problem, so that the alerts see every part of the estate a run could not see. */
export function recordDiscoveryProblems(problems: readonly DiscoveryProblem[], telemetry: RotationTelemetry, invocationId: string): void {
  for (const problem of problems) {
    telemetry.trackDiscoveryFailed({ ...problem, invocationId });
  }
}
