/** The triggers the emulator knows: a Request trigger has a callback URL, a Recurrence trigger has none. */
export type WorkflowTriggerKind = 'Request' | 'Recurrence';

export interface WorkflowTrigger {
  readonly name: string;
  readonly kind: WorkflowTriggerKind;
}

/** Whether a workflow runs at all (Consumption's `state`, Standard's `flowState`). */
export type WorkflowState = 'Enabled' | 'Disabled';

/** Triggers as seeded: trigger name → type. */
export function triggersFrom(kinds: Readonly<Record<string, WorkflowTriggerKind>>): WorkflowTrigger[] {
  return Object.entries(kinds).map(([name, kind]) => ({ name, kind }));
}

/** Every host finds a trigger by name without regard to case. */
export function findTrigger(triggers: readonly WorkflowTrigger[], name: string): WorkflowTrigger | undefined {
  return triggers.find((trigger) => trigger.name.toLowerCase() === name.toLowerCase());
}
