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
 * Listed and discovered targets together (DESIGN §4). A listed target wins over a discovered one
 * with the same workflowId. Two targets never share a secret: a discovered target whose secret name
 * a listed target, or a discovered one with a lower resource ID, already uses is left out as a
 * `SecretNameCollision` problem on every run until a `sas-rotation-secret` tag settles it. The
 * winner does not depend on the order ARM lists resources in, so it never flips between runs.
 */
export function mergeTargets(listed: readonly RotationTarget[], discovered: readonly RotationTarget[]): MergedTargets {
  const targets = [...listed];
  const notes: string[] = [];
  const problems: DiscoveryProblem[] = [];
  const workflows = new Set(listed.map((t) => t.workflowId.toLowerCase()));
  const secrets = new Map(listed.map((t) => [t.secretName.toLowerCase(), t.workflowId]));
  const byResourceId = [...discovered].sort((a, b) => compare(a.workflowId.toLowerCase(), b.workflowId.toLowerCase()));
  for (const target of byResourceId) {
    const key = target.workflowId.toLowerCase();
    if (workflows.has(key)) {
      notes.push(`${target.workflowId} is both listed and tagged: the listed settings are used.`);
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
