import type { RotatorSettings } from './config';
import type { RotationServices } from './createRotationServices';
import { mergeTargets } from './rotation/mergeTargets';
import type { RotationTarget } from './rotation/RotationTarget';

export interface ResolvedTargets {
  readonly targets: readonly RotationTarget[];
  /** Discovered targets left out in favour of listed ones, and why. */
  readonly notes: readonly string[];
  /** Scopes that could not be listed and tagged resources with bad tags: the run is incomplete. */
  readonly problems: readonly string[];
}

/** The targets of this run: the listed ones, plus what ROTATION_DISCOVERY finds right now. */
export async function resolveTargets(settings: RotatorSettings, services: RotationServices, abortSignal?: AbortSignal): Promise<ResolvedTargets> {
  if (settings.discoveryScopes.length === 0) {
    return { targets: settings.targets, notes: [], problems: [] };
  }
  const discovered = await services.discovery.discover(settings.discoveryScopes, { abortSignal });
  const merged = mergeTargets(settings.targets, discovered.targets);
  return { targets: merged.targets, notes: merged.notes, problems: discovered.problems };
}
