import type { RotationTarget } from './RotationTarget';

export interface MergedTargets {
  readonly targets: readonly RotationTarget[];
  /** Discovered targets left out, and why (duplicates, secret name clashes). */
  readonly notes: readonly string[];
}

/**
 * Listed and discovered targets together (DESIGN §4): a listed target wins over a discovered one
 * with the same workflowId; a discovered target whose secret name another target already uses is
 * left out, never allowed to overwrite that secret.
 */
export function mergeTargets(listed: readonly RotationTarget[], discovered: readonly RotationTarget[]): MergedTargets {
  const targets = [...listed];
  const notes: string[] = [];
  const workflows = new Set(listed.map((t) => t.workflowId.toLowerCase()));
  const secrets = new Map(listed.map((t) => [t.secretName.toLowerCase(), t.workflowId]));
  for (const target of discovered) {
    if (workflows.has(target.workflowId.toLowerCase())) {
      notes.push(`${target.workflowId} is both listed and tagged: the listed settings are used.`);
      continue;
    }
    const owner = secrets.get(target.secretName.toLowerCase());
    if (owner !== undefined) {
      notes.push(`${target.workflowId} (discovered) would publish to secret '${target.secretName}', which ${owner} already uses: left out. Fix: set its sas-rotation-secret tag.`);
      continue;
    }
    workflows.add(target.workflowId.toLowerCase());
    secrets.set(target.secretName.toLowerCase(), target.workflowId);
    targets.push(target);
  }
  return { targets, notes };
}
