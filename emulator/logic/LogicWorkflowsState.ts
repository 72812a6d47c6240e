import { PagingFaults } from './armPaging';
import { randomBytes, randomInt, timingSafeEqual } from 'crypto';
import { decodePathSegment } from '../EmulatorExchange';
import { isFlowId, type FlowsState } from '../flow/FlowsState';
import type { CallbackUrlCheck } from './CallbackUrlCheck';
import { signCallbackUrl } from './callbackUrlSignature';
import { isStandardWorkflowId, StandardWorkflowsState, type AddSiteOptions, type AddStandardWorkflowOptions, type StoredStandardWorkflow } from './StandardWorkflowsState';
import { workflowKeyTypes, type WorkflowKeyType } from './WorkflowKeyType';

export type WorkflowTriggerKind = 'Request' | 'Recurrence';
export type WorkflowState = 'Enabled' | 'Disabled';

export interface AddWorkflowOptions {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  /** Default 'westeurope'. */
  location?: string;
  /** Trigger name → type. Default `{ manual: 'Request' }`, what the designer creates for "When an HTTP request is received". */
  triggers?: Record<string, WorkflowTriggerKind>;
  tags?: Record<string, string>;
  /** Default 'Enabled'. */
  state?: WorkflowState;
}

export interface WorkflowTrigger {
  readonly name: string;
  readonly kind: WorkflowTriggerKind;
}

/** A Consumption workflow as the emulator stores it. */
export interface StoredWorkflow {
  readonly id: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly location: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly state: WorkflowState;
  readonly triggers: readonly WorkflowTrigger[];
  /** The 32-hex id in the workflow's accessEndpoint and callback URLs. */
  readonly accessEndpointId: string;
  /** The current workflow version (20 digits, like `08586677515911718341`). */
  readonly version: string;
  readonly createdTime: Date;
  readonly changedTime: Date;
}

interface WorkflowRecord extends StoredWorkflow {
  readonly accessKeys: Record<WorkflowKeyType, Buffer>;
  readonly keyVersions: Record<WorkflowKeyType, number>;
}

export interface ListCallbackUrlOptions {
  /** Pins the URL to a workflow version (`sp=/versions/{v}/triggers/{t}/run`). */
  readonly versionId?: string;
  /** Adds `se`, after which the runtime refuses the URL. */
  readonly notAfter?: Date;
}

/** A callback URL in the parts ARM's WorkflowTriggerCallbackUrl reports. */
export interface CallbackUrl {
  readonly value: string;
  readonly basePath: string;
  readonly queries: { readonly 'api-version': string; readonly se?: string; readonly sp: string; readonly sv: string; readonly sig: string };
}

export type CallbackUrlVerdict =
  | { readonly valid: true; readonly workflow: StoredWorkflow; readonly trigger: WorkflowTrigger }
  | { readonly valid: false; readonly reason: 'notFound' | 'unsigned' | 'badSignature' | 'expired' };

/** The api-version real Consumption callback URLs carry. */
export const callbackUrlApiVersion = '2016-10-01';
const sasVersion = '1.0';
const invokePath = /^\/workflows\/([0-9a-f]{32})(?:\/versions\/([^/]+))?\/triggers\/([^/]+)\/paths\/invoke$/i;

/**
 * Logic Apps (Consumption) workflows: what ARM serves and what the runtime checks signatures against.
 * Also the oracle for tests: `isCallbackUrlValid` says whether a URL would start the workflow right now.
 *
 * It also holds the Logic Apps Standard workflows (`standard`, seeded with `addStandardWorkflow`) and, when
 * given the flows, answers for them too: `regenerateAccessKey`, `keyVersionOf`, `currentCallbackUrl` accept a
 * Consumption, Standard or Power Automate ID (a flow has only the Primary key), and `isCallbackUrlValid` checks
 * every kind of callback URL the emulator hands out.
 */
export class LogicWorkflowsState {
  private readonly workflows = new Map<string, WorkflowRecord>();
  private readonly signatures = new Set<string>();
  /** Consumption workflows (lower-case IDs) whose trigger listCallbackUrl ignores the `{keyType}` body. */
  private readonly keyTypeIgnoringWorkflows = new Set<string>();
  /** Broken nextLinks for the resource lists (Microsoft.Logic and Microsoft.Web alike). */
  readonly pagingFaults = new PagingFaults();

  /** Every `sig` this emulator ever handed out (flows' included, when given), so tests can prove none of them leaked. */
  get issuedSigs(): ReadonlySet<string> {
    return this.flows ? new Set([...this.signatures, ...this.flows.issuedSigs]) : this.signatures;
  }
  private readonly resourceGroups = new Set<string>();

  /** Logic Apps Standard sites and workflows (Microsoft.Web), served by ARM under `…/providers/Microsoft.Web/sites`. */
  readonly standard: StandardWorkflowsState;

  /**
   * @param runtimeOrigin where callback URLs point (the emulated `prod-NN.<region>.logic.azure.com`), known once it listens.
   * @param flows the Power Automate flows the generic methods and the oracle also answer for.
   */
  constructor(private readonly runtimeOrigin: () => string, private readonly flows?: FlowsState) {
    this.standard = new StandardWorkflowsState(runtimeOrigin, (sig) => this.signatures.add(sig), (subscriptionId, resourceGroup) => this.addResourceGroup(subscriptionId, resourceGroup));
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

  private get runtimeBaseUrl(): string {
    return this.runtimeOrigin();
  }

  /** An empty resource group (one with workflows exists anyway), so that listing it answers 200 rather than 404. */
  addResourceGroup(subscriptionId: string, resourceGroup: string): void {
    this.resourceGroups.add(`${subscriptionId}/${resourceGroup}`.toLowerCase());
  }

  /** Creates a workflow with fresh keys; returns its ARM resource ID. */
  addWorkflow(options: AddWorkflowOptions): string {
    const id = `/subscriptions/${options.subscriptionId}/resourceGroups/${options.resourceGroup}/providers/Microsoft.Logic/workflows/${options.name}`;
    if (this.workflows.has(id.toLowerCase())) throw new Error(`Workflow ${id} already exists in the emulator`);
    this.addResourceGroup(options.subscriptionId, options.resourceGroup);
    const now = new Date();
    const triggers: WorkflowTrigger[] = Object.entries(options.triggers ?? { manual: 'Request' as const }).map(([name, kind]) => ({ name, kind }));
    this.workflows.set(id.toLowerCase(), {
      id,
      subscriptionId: options.subscriptionId,
      resourceGroup: options.resourceGroup,
      name: options.name,
      location: options.location ?? 'westeurope',
      tags: { ...(options.tags ?? {}) },
      state: options.state ?? 'Enabled',
      triggers,
      accessEndpointId: randomBytes(16).toString('hex'),
      version: newWorkflowVersion(),
      createdTime: now,
      changedTime: now,
      accessKeys: { Primary: randomBytes(32), Secondary: randomBytes(32) },
      keyVersions: { Primary: 0, Secondary: 0 },
    });
    return id;
  }

  /**
   * Makes a workflow's host ignore the `{keyType}` body of the trigger's listCallbackUrl: every listing
   * answers the Primary key's URL, whatever key was asked for (no spec declares that body, so a host
   * might). For a Standard workflow it is its whole site (one runtime); a flow has one key only.
   */
  ignoreCallbackKeyType(workflowId: string, ignores = true): void {
    if (isStandardWorkflowId(workflowId)) return this.standard.ignoreCallbackKeyType(workflowId, ignores);
    if (isFlowId(workflowId)) throw new Error(`Flow ${workflowId} has one key: there is no keyType to ignore`);
    this.require(workflowId);
    if (ignores) this.keyTypeIgnoringWorkflows.add(workflowId.toLowerCase());
    else this.keyTypeIgnoringWorkflows.delete(workflowId.toLowerCase());
  }

  /** The key whose URL the trigger's listCallbackUrl answers with when `requested` is asked for. */
  listedKeyType(workflow: StoredWorkflow, requested: WorkflowKeyType): WorkflowKeyType {
    return this.keyTypeIgnoringWorkflows.has(workflow.id.toLowerCase()) ? 'Primary' : requested;
  }

  /** What ARM's regenerateAccessKey does; also callable directly to simulate an out-of-band change. */
  regenerateAccessKey(workflowId: string, keyType: WorkflowKeyType): void {
    if (isStandardWorkflowId(workflowId)) return this.standard.regenerateAccessKey(workflowId, keyType);
    if (isFlowId(workflowId)) return this.requireFlows(workflowId, keyType).regenerateAccessKey(workflowId);
    const workflow = this.require(workflowId);
    workflow.accessKeys[keyType] = randomBytes(32);
    workflow.keyVersions[keyType] += 1;
  }

  /** How many times a key was regenerated since the workflow was added. */
  keyVersionOf(workflowId: string, keyType: WorkflowKeyType): number {
    if (isStandardWorkflowId(workflowId)) return this.standard.keyVersionOf(workflowId, keyType);
    if (isFlowId(workflowId)) return this.requireFlows(workflowId, keyType).keyVersionOf(workflowId);
    return this.require(workflowId).keyVersions[keyType];
  }

  /** The unversioned callback URL of a trigger, signed with the current key: what a consumer should hold. */
  currentCallbackUrl(workflowId: string, trigger: string, keyType: WorkflowKeyType): string {
    if (isStandardWorkflowId(workflowId)) return this.standard.currentCallbackUrl(workflowId, trigger, keyType);
    if (isFlowId(workflowId)) return this.requireFlows(workflowId, keyType).currentCallbackUrl(workflowId, trigger);
    const workflow = this.require(workflowId);
    const found = findTrigger(workflow, trigger);
    if (!found) throw new Error(`Workflow ${workflowId} has no trigger '${trigger}'`);
    return this.callbackUrl(workflow, found, keyType).value;
  }

  /**
   * The oracle: would the runtime accept this URL now, by itself? Any kind the emulator hands out:
   * Consumption, Standard and (when the flows were given) Power Automate in both URL styles. An OAuth-only
   * flow's URL (no `sig`) is never valid by itself.
   */
  isCallbackUrlValid(url: string): boolean {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return false;
    }
    return this.checkCallbackUrl(parsed).valid;
  }

  /** The oracle with its reason and the trigger the URL starts, for every kind of callback URL. */
  checkCallbackUrl(url: URL): CallbackUrlCheck {
    const consumption = this.verifyCallbackUrl(url);
    if (consumption.valid) {
      const { workflow, trigger } = consumption;
      return { valid: true, target: { host: 'consumption', workflowId: workflow.id, name: workflow.name, trigger: trigger.name, enabled: workflow.state === 'Enabled' } };
    }
    if (consumption.reason !== 'notFound') return { valid: false, reason: consumption.reason };
    return this.standard.checkCallbackUrl(url) ?? this.flows?.checkCallbackUrl(url) ?? { valid: false, reason: 'notFound' };
  }

  verifyCallbackUrl(url: URL): CallbackUrlVerdict {
    if (url.origin.toLowerCase() !== new URL(this.runtimeBaseUrl).origin.toLowerCase()) return { valid: false, reason: 'notFound' };
    const match = invokePath.exec(url.pathname);
    const [, accessEndpointId, versionId, triggerName] = match ?? [];
    const workflow = accessEndpointId ? this.findByAccessEndpoint(accessEndpointId) : undefined;
    const trigger = workflow && triggerName ? findTrigger(workflow, decodePathSegment(triggerName)) : undefined;
    if (!workflow || !trigger || trigger.kind !== 'Request') return { valid: false, reason: 'notFound' };
    if (versionId !== undefined && versionId !== workflow.version) return { valid: false, reason: 'notFound' };

    const query = url.searchParams;
    const sp = query.get('sp');
    const sv = query.get('sv');
    const sig = query.get('sig');
    const se = query.get('se') ?? undefined;
    if (!sp || !sv || !sig || !query.get('api-version')) return { valid: false, reason: 'unsigned' };
    const expectedSp = versionId !== undefined ? `/versions/${versionId}/triggers/${trigger.name}/run` : `/triggers/${trigger.name}/run`;
    if (sp.toLowerCase() !== expectedSp.toLowerCase() || sv !== sasVersion) return { valid: false, reason: 'badSignature' };
    const signed = Buffer.from(sig);
    const matchesAKey = workflowKeyTypes.some((keyType) => {
      const expected = Buffer.from(signCallbackUrl(workflow.accessKeys[keyType], { path: url.pathname, sp, sv, ...(se !== undefined ? { se } : {}) }));
      return expected.length === signed.length && timingSafeEqual(expected, signed);
    });
    if (!matchesAKey) return { valid: false, reason: 'badSignature' };
    if (se !== undefined && !(Date.parse(se) > Date.now())) return { valid: false, reason: 'expired' };
    return { valid: true, workflow, trigger };
  }

  find(workflowId: string): StoredWorkflow | undefined {
    return this.workflows.get(workflowId.toLowerCase());
  }

  /** Workflows of a subscription or one of its resource groups, in the order they were added. */
  list(subscriptionId: string, resourceGroup?: string): StoredWorkflow[] {
    return [...this.workflows.values()].filter(
      (workflow) =>
        workflow.subscriptionId.toLowerCase() === subscriptionId.toLowerCase() &&
        (resourceGroup === undefined || workflow.resourceGroup.toLowerCase() === resourceGroup.toLowerCase()),
    );
  }

  /** Resource groups exist once added, or once a workflow was added to them. */
  resourceGroupExists(subscriptionId: string, resourceGroup: string): boolean {
    return this.resourceGroups.has(`${subscriptionId}/${resourceGroup}`.toLowerCase());
  }

  trigger(workflow: StoredWorkflow, triggerName: string): WorkflowTrigger | undefined {
    return findTrigger(workflow, triggerName);
  }

  /** Builds (and signs) a trigger's callback URL the way ARM's listCallbackUrl actions report it. */
  callbackUrl(workflow: StoredWorkflow, trigger: WorkflowTrigger, keyType: WorkflowKeyType, options: ListCallbackUrlOptions = {}): CallbackUrl {
    const record = this.require(workflow.id);
    const versionSegment = options.versionId !== undefined ? `/versions/${options.versionId}` : '';
    const path = `/workflows/${record.accessEndpointId}${versionSegment}/triggers/${trigger.name}/paths/invoke`;
    const sp = `${versionSegment}/triggers/${trigger.name}/run`;
    const se = options.notAfter ? sasExpiry(options.notAfter) : undefined;
    const sig = signCallbackUrl(record.accessKeys[keyType], { path, sp, sv: sasVersion, ...(se !== undefined ? { se } : {}) });
    this.signatures.add(sig);
    const query = new URLSearchParams();
    query.set('api-version', callbackUrlApiVersion);
    if (se !== undefined) query.set('se', se);
    query.set('sp', sp);
    query.set('sv', sasVersion);
    query.set('sig', sig);
    const basePath = `${this.runtimeBaseUrl}${path}`;
    return {
      value: `${basePath}?${query.toString()}`,
      basePath,
      queries: { 'api-version': callbackUrlApiVersion, ...(se !== undefined ? { se } : {}), sp, sv: sasVersion, sig },
    };
  }

  /** `https://127.0.0.1:PORT/workflows/{id}`: the workflow's accessEndpoint property. */
  accessEndpoint(workflow: StoredWorkflow): string {
    return `${this.runtimeBaseUrl}/workflows/${workflow.accessEndpointId}`;
  }

  private findByAccessEndpoint(accessEndpointId: string): WorkflowRecord | undefined {
    const wanted = accessEndpointId.toLowerCase();
    return [...this.workflows.values()].find((workflow) => workflow.accessEndpointId === wanted);
  }

  private requireFlows(flowId: string, keyType: WorkflowKeyType): FlowsState {
    if (!this.flows) throw new Error(`Flow ${flowId}: this LogicWorkflowsState was created without flows`);
    if (keyType !== 'Primary') throw new Error(`Flow ${flowId} has one key only (Primary), not ${keyType}`);
    return this.flows;
  }

  private require(workflowId: string): WorkflowRecord {
    const workflow = this.workflows.get(workflowId.toLowerCase());
    if (!workflow) throw new Error(`Workflow ${workflowId} does not exist in the emulator`);
    return workflow;
  }
}

function findTrigger(workflow: StoredWorkflow, triggerName: string): WorkflowTrigger | undefined {
  return workflow.triggers.find((trigger) => trigger.name.toLowerCase() === triggerName.toLowerCase());
}

/** Workflow versions are 20-digit, time-ordered numbers. */
function newWorkflowVersion(): string {
  return `0858${String(Date.now()).padStart(13, '0')}${String(randomInt(1000)).padStart(3, '0')}`;
}

/** The SAS expiry format Logic Apps uses: seven fractional digits, UTC. */
function sasExpiry(notAfter: Date): string {
  return notAfter.toISOString().replace(/\.(\d{3})Z$/, (_match, milliseconds: string) => `.${milliseconds}0000Z`);
}
