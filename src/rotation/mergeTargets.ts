import type { DiscoveryProblem } from './DiscoveryProblem';
import type { RotationTarget } from './RotationTarget';

export interface MergedTargets {
  readonly targets: readonly RotationTarget[];
  /** Discovered targets that are listed too (the listed settings win): worth a warning, nothing more. */
  readonly notes: readonly string[];
  /** Discovered targets left out because their secret name is taken: the run is incomplete. */
  readonly problems: readonly DiscoveryProblem[];
}

/**
 * Listed and discovered targets together (docs/design.md §4.5). A listed target wins over a discovered one
 * with the same workflowId. Two targets never share a secret: of discovered targets that would
 * publish to one secret, the one the secret already belongs to (`owners`: its `workflowId` tag) keeps
 * it, so consumers never lose the rotation of the secret they read; else the lowest resource ID. The
 * others, and any whose secret name a listed target uses, are left out as a `SecretNameCollision`
 * problem on every run until a `sas-rotation-secret` tag settles it. The winner does not depend on
 * the order ARM lists resources in, so it never flips between runs.
 *
 * @param owners lowercased secret name → lowercased workflowId of the target that published it, for
 *   the contested names (see `contestedSecretNames`).
 */
export function mergeTargets(
  listed: readonly RotationTarget[],
  discovered: readonly RotationTarget[],
  owners: ReadonlyMap<string, string> = new Map(),
): MergedTargets {
  const targets = [...listed];
  const notes: string[] = [];
  const problems: DiscoveryProblem[] = [];
  const workflows = new Set(listed.map((t) => t.workflowId.toLowerCase()));
  const secrets = new Map(listed.map((t) => [t.secretName.toLowerCase(), t.workflowId]));
  const owns = (t: RotationTarget): number => (owners.get(t.secretName.toLowerCase()) === t.workflowId.toLowerCase() ? 0 : 1);
  const byResourceId = [...discovered].sort((a, b) => owns(a) - owns(b) || compare(a.workflowId.toLowerCase(), b.workflowId.toLowerCase()));
  for (const target of byResourceId) {
    const key = target.workflowId.toLowerCase();
    if (workflows.has(key)) {
      // The listed settings win, but a dependent named in either place is kept in step: dropping one
      // would leave a caller sas-rotator was told about to be cut off two rotations later.
      const index = targets.findIndex((t) => t.workflowId.toLowerCase() === key);
      const listedTarget = targets[index] as RotationTarget;
      const known = new Set((listedTarget.dependents ?? []).map((d) => d.resourceId.toLowerCase()));
      const added = (target.dependents ?? []).filter((d) => !known.has(d.resourceId.toLowerCase()));
      if (added.length > 0) targets[index] = { ...listedTarget, dependents: [...(listedTarget.dependents ?? []), ...added] };
      notes.push(
        `${target.workflowId} is both listed and tagged: the listed settings are used${added.length > 0 ? `, and the ${added.length} dependent(s) of its tags are kept too` : ''}.`,
      );
      continue;
    }
    const owner = secrets.get(target.secretName.toLowerCase());
    if (owner !== undefined) {
      problems.push({
        scope: target.discoveredIn ?? '',
        resourceId: target.workflowId,
        operation: 'mergeTargets',
        statusCode: undefined,
        errorCode: 'SecretNameCollision',
        message: `${target.workflowId} (discovered) would publish to secret '${target.secretName}', which ${owner} already uses: it is not rotated. Fix: give it a secret of its own with the sas-rotation-secret tag.`,
      });
      continue;
    }
    workflows.add(key);
    secrets.set(target.secretName.toLowerCase(), target.workflowId);
    targets.push(target);
  }
  return { targets, notes, problems };
}

/** Ordinal order: the same on every machine and locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Secret names that more than one discovered target would publish to: the only ones whose owner matters. */
export function contestedSecretNames(discovered: readonly RotationTarget[]): string[] {
  const counts = new Map<string, Set<string>>();
  for (const target of discovered) {
    const name = target.secretName.toLowerCase();
    counts.set(name, (counts.get(name) ?? new Set()).add(target.workflowId.toLowerCase()));
  }
  return [...counts].filter(([, workflows]) => workflows.size > 1).map(([name]) => name);
}
