import { FlowsState, isFlowId } from './flow/FlowsState';
import { PagingFaults } from './logic/armPaging';
import { ResourceGroups } from './logic/armResources';
import { CallbackUrlIssuer, isCallbackUrlValid, type CallbackUrlCheck } from './logic/callbackUrls';
import { ConsumptionWorkflowsState, type AddWorkflowOptions, type StoredWorkflow } from './logic/ConsumptionWorkflowsState';
import {
  isStandardWorkflowId,
  StandardWorkflowsState,
  type AddSiteOptions,
  type AddStandardWorkflowOptions,
  type StoredStandardWorkflow,
} from './logic/StandardWorkflowsState';
import type { WorkflowKeyType } from './logic/WorkflowKeyType';
import type { WorkflowTriggerKind } from './logic/WorkflowTrigger';

/**
 * The three workflow hosts the emulator plays, side by side: Logic Apps Consumption, Logic Apps Standard and
 * Power Automate, each with its own state and none knowing the others. This front routes a workflow ID to
 * its host's state (`regenerateAccessKey`, `keyVersionOf`, `currentCallbackUrl` and `ignoreCallbackKeyType`
 * accept any host's ID; a flow has only the Primary key), and a callback URL to the host that handed it out:
 * it is the oracle tests ask whether a URL would start its workflow right now.
 *
 * It is `emulator.logic`, which also seeds Consumption and Standard workflows and the ARM estate they live in
 * (resource groups, broken list pages); flows are seeded through `emulator.flows`.
 */
export class WorkflowHosts {
  readonly consumption: ConsumptionWorkflowsState;
  /** Logic Apps Standard sites and workflows (Microsoft.Web), served by ARM under `…/providers/Microsoft.Web/sites`. */
  readonly standard: StandardWorkflowsState;
  /** Power Automate flows behind the Flow API (one key each). */
  readonly flows: FlowsState;
  /** ARM's resource groups, Microsoft.Logic and Microsoft.Web alike. */
  readonly resourceGroups = new ResourceGroups();
  /** Broken nextLinks for the resource lists (Microsoft.Logic and Microsoft.Web alike). */
  readonly pagingFaults = new PagingFaults();
  private readonly callbackUrls: CallbackUrlIssuer;

  /** @param runtimeOrigin where callback URLs point (the emulated Logic Apps runtime), known once it listens. */
  constructor(runtimeOrigin: () => string) {
    this.callbackUrls = new CallbackUrlIssuer(runtimeOrigin);
    this.consumption = new ConsumptionWorkflowsState(this.callbackUrls, this.resourceGroups);
    this.standard = new StandardWorkflowsState(this.callbackUrls, this.resourceGroups);
    this.flows = new FlowsState(this.callbackUrls);
  }

  /** Every `sig` the emulator ever handed out, whichever host signed it, so tests can prove none of them leaked. */
  get issuedSigs(): ReadonlySet<string> {
    return this.callbackUrls.issuedSigs;
  }

  /** What the host's regenerateAccessKey does; also callable directly to simulate an out-of-band change. */
  regenerateAccessKey(workflowId: string, keyType: WorkflowKeyType): void {
    if (isStandardWorkflowId(workflowId)) return this.standard.regenerateAccessKey(workflowId, keyType);
    if (isFlowId(workflowId)) return this.flowWithKey(workflowId, keyType).regenerateAccessKey(workflowId);
    return this.consumption.regenerateAccessKey(workflowId, keyType);
  }

  /** How many times a key was regenerated since the workflow was added. */
  keyVersionOf(workflowId: string, keyType: WorkflowKeyType): number {
    if (isStandardWorkflowId(workflowId)) return this.standard.keyVersionOf(workflowId, keyType);
    if (isFlowId(workflowId)) return this.flowWithKey(workflowId, keyType).keyVersionOf(workflowId);
    return this.consumption.keyVersionOf(workflowId, keyType);
  }

  /** The unversioned callback URL of a trigger, signed with the current key: what a consumer should hold. */
  currentCallbackUrl(workflowId: string, trigger: string, keyType: WorkflowKeyType): string {
    if (isStandardWorkflowId(workflowId)) return this.standard.currentCallbackUrl(workflowId, trigger, keyType);
    if (isFlowId(workflowId)) return this.flowWithKey(workflowId, keyType).currentCallbackUrl(workflowId, trigger);
    return this.consumption.currentCallbackUrl(workflowId, trigger, keyType);
  }

  /**
   * Makes a workflow's host ignore the `{keyType}` body of the trigger's listCallbackUrl: every listing
   * answers the Primary key's URL, whatever key was asked for (no spec declares that body, so a host
   * might). For a Standard workflow it is its whole site (one runtime); a flow has one key only.
   */
  ignoreCallbackKeyType(workflowId: string, ignores = true): void {
    if (isStandardWorkflowId(workflowId)) return this.standard.ignoreCallbackKeyType(workflowId, ignores);
    if (isFlowId(workflowId)) throw new Error(`Flow ${workflowId} has one key: there is no keyType to ignore`);
    return this.consumption.ignoreCallbackKeyType(workflowId, ignores);
  }

  /**
   * The oracle: would the runtime accept this URL now, by itself? Any kind the emulator hands out:
   * Consumption, Standard and Power Automate in both URL styles. An OAuth-only flow's URL (no `sig`) is
   * never valid by itself.
   */
  isCallbackUrlValid(url: string): boolean {
    return isCallbackUrlValid(this, url);
  }

  /** The oracle with its reason and the trigger the URL starts, asked of the host that hands such URLs out. */
  checkCallbackUrl(url: URL): CallbackUrlCheck {
    return (
      this.consumption.checkCallbackUrl(url) ??
      this.standard.checkCallbackUrl(url) ??
      this.flows.checkCallbackUrl(url) ?? { valid: false, reason: 'notFound' }
    );
  }

  /** Creates a Consumption workflow with fresh keys; returns its ARM resource ID. */
  addWorkflow(options: AddWorkflowOptions): string {
    return this.consumption.addWorkflow(options);
  }

  /** Consumption workflows of a subscription or one of its resource groups, in the order they were added. */
  list(subscriptionId: string, resourceGroup?: string): StoredWorkflow[] {
    return this.consumption.list(subscriptionId, resourceGroup);
  }

  /** An empty resource group (one with workflows or sites exists anyway), so that listing it answers 200 rather than 404. */
  addResourceGroup(subscriptionId: string, resourceGroup: string): void {
    this.resourceGroups.add(subscriptionId, resourceGroup);
  }

  /** An App Service site (default kind `functionapp,workflowapp`, a Logic Apps Standard app); returns its ARM ID. */
  addSite(options: AddSiteOptions): string {
    return this.standard.addSite(options);
  }

  /**
   * Creates a Logic Apps Standard workflow with fresh keys (and its site, if new); returns its ID,
   * `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Web/sites/{site}/workflows/{wf}`.
   */
  addStandardWorkflow(options: AddStandardWorkflowOptions): string {
    return this.standard.addWorkflow(options);
  }

  /** Saves a Standard workflow with other triggers (e.g. its Request trigger renamed). */
  saveStandardWorkflowTriggers(workflowId: string, triggers: Record<string, WorkflowTriggerKind>): void {
    this.standard.saveTriggers(workflowId, triggers);
  }

  findStandardWorkflow(workflowId: string): StoredStandardWorkflow | undefined {
    return this.standard.find(workflowId);
  }

  /** A flow has one key, the one the generic methods call Primary. */
  private flowWithKey(flowId: string, keyType: WorkflowKeyType): FlowsState {
    if (keyType !== 'Primary') throw new Error(`Flow ${flowId} has one key only (Primary), not ${keyType}`);
    return this.flows;
  }
}
