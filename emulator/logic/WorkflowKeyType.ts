import { randomBytes } from 'crypto';

/** The two access keys of a Logic Apps workflow; `sig` is made with one of them. */
export type WorkflowKeyType = 'Primary' | 'Secondary';

export const workflowKeyTypes: readonly WorkflowKeyType[] = ['Primary', 'Secondary'];

/** ARM deserialises enums without regard to case. */
export function parseWorkflowKeyType(value: unknown): WorkflowKeyType | undefined {
  if (typeof value !== 'string') return undefined;
  return workflowKeyTypes.find((keyType) => keyType.toLowerCase() === value.toLowerCase());
}

/**
 * A workflow's two access keys (Consumption and Standard alike) and how many times each was regenerated.
 * Regenerating one leaves the other, so URLs signed with it keep working.
 */
export class WorkflowAccessKeys {
  private readonly keys: Record<WorkflowKeyType, Buffer> = { Primary: randomBytes(32), Secondary: randomBytes(32) };
  private readonly versions: Record<WorkflowKeyType, number> = { Primary: 0, Secondary: 0 };

  key(keyType: WorkflowKeyType): Buffer {
    return this.keys[keyType];
  }

  /** The keys a callback URL may be signed with right now. */
  current(): Buffer[] {
    return workflowKeyTypes.map((keyType) => this.keys[keyType]);
  }

  regenerate(keyType: WorkflowKeyType): void {
    this.keys[keyType] = randomBytes(32);
    this.versions[keyType] += 1;
  }

  /** How many times the key was regenerated since the workflow was added. */
  version(keyType: WorkflowKeyType): number {
    return this.versions[keyType];
  }
}
