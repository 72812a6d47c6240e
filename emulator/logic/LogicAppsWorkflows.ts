import type { ResourceGroups } from './armResources';
import type { CallbackUrl, CallbackUrlIssuer } from './callbackUrls';
import type { WorkflowAccessKeys, WorkflowKeyType } from './WorkflowKeyType';
import { findTrigger, type WorkflowTrigger } from './WorkflowTrigger';

/** A workflow as a Logic Apps host stores it: an ID, its triggers, and (never handed out) its two access keys. */
export interface LogicAppsWorkflowRecord {
  readonly id: string;
  readonly triggers: readonly WorkflowTrigger[];
  readonly accessKeys: WorkflowAccessKeys;
}

/**
 * What the two Logic Apps hosts, Consumption and Standard, do alike: workflows found by ID without regard to
 * case, two access keys each, and a callback URL per Request trigger, signed with either key. Each host says
 * how its callback URLs look (`callbackUrl`); Power Automate, with one key per flow, is not one of them.
 */
export abstract class LogicAppsWorkflows<Stored extends { readonly id: string; readonly triggers: readonly WorkflowTrigger[] }> {
  protected readonly workflows = new Map<string, Stored & LogicAppsWorkflowRecord>();
  /** What ignores the `{keyType}` body of a trigger's listCallbackUrl (lower-case `keyTypeScope`s). */
  private readonly keyTypeIgnoringScopes = new Set<string>();

  /**
   * @param kind how messages name a workflow of this host ("Workflow", "Standard workflow").
   * @param resourceGroups ARM's resource groups, which adding a workflow (or site) creates.
   */
  protected constructor(
    private readonly kind: string,
    protected readonly callbackUrls: CallbackUrlIssuer,
    protected readonly resourceGroups: ResourceGroups,
  ) {}

  /** Builds (and signs) a trigger's callback URL the way the host's listCallbackUrl reports it. */
  abstract callbackUrl(workflow: Stored, trigger: WorkflowTrigger, keyType: WorkflowKeyType): CallbackUrl;

  /** What `ignoreCallbackKeyType` applies to: the workflow, or all that shares its runtime. */
  protected abstract keyTypeScope(workflow: Stored): string;

  find(workflowId: string): Stored | undefined {
    return this.workflows.get(workflowId.toLowerCase());
  }

  trigger(workflow: Stored, triggerName: string): WorkflowTrigger | undefined {
    return findTrigger(workflow.triggers, triggerName);
  }

  /** What the management API's regenerateAccessKey does; also callable directly to simulate an out-of-band change. */
  regenerateAccessKey(workflowId: string, keyType: WorkflowKeyType): void {
    this.require(workflowId).accessKeys.regenerate(keyType);
  }

  /** How many times a key was regenerated since the workflow was added. */
  keyVersionOf(workflowId: string, keyType: WorkflowKeyType): number {
    return this.require(workflowId).accessKeys.version(keyType);
  }

  /** The unversioned callback URL of a trigger, signed with the current key: what a consumer should hold. */
  currentCallbackUrl(workflowId: string, triggerName: string, keyType: WorkflowKeyType): string {
    const workflow = this.require(workflowId);
    const trigger = this.trigger(workflow, triggerName);
    if (!trigger) throw new Error(`Workflow ${workflowId} has no trigger '${triggerName}'`);
    return this.callbackUrl(workflow, trigger, keyType).value;
  }

  /**
   * Makes the workflow's trigger listCallbackUrl (and that of all in its `keyTypeScope`) ignore its
   * `{keyType}` body, as a host might: every listing then answers the Primary key's URL, whatever key
   * was asked for. regenerateAccessKey still honours its keyType.
   */
  ignoreCallbackKeyType(workflowId: string, ignores: boolean): void {
    const scope = this.keyTypeScope(this.require(workflowId)).toLowerCase();
    if (ignores) this.keyTypeIgnoringScopes.add(scope);
    else this.keyTypeIgnoringScopes.delete(scope);
  }

  /** The key whose URL the trigger's listCallbackUrl answers with when `requested` is asked for. */
  listedKeyType(workflow: Stored, requested: WorkflowKeyType): WorkflowKeyType {
    return this.keyTypeIgnoringScopes.has(this.keyTypeScope(workflow).toLowerCase()) ? 'Primary' : requested;
  }

  /** Stores a new workflow; its ID must be new (IDs compare without regard to case). */
  protected add(workflow: Stored & LogicAppsWorkflowRecord): string {
    if (this.workflows.has(workflow.id.toLowerCase())) throw new Error(`Workflow ${workflow.id} already exists in the emulator`);
    this.workflows.set(workflow.id.toLowerCase(), workflow);
    return workflow.id;
  }

  protected require(workflowId: string): Stored & LogicAppsWorkflowRecord {
    const workflow = this.workflows.get(workflowId.toLowerCase());
    if (!workflow) throw new Error(`${this.kind} ${workflowId} does not exist in the emulator`);
    return workflow;
  }
}
