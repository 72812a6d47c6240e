import { randomBytes, randomInt } from 'crypto';
import { decodePathSegment } from '../EmulatorExchange';
import { isInScope, type ResourceGroups } from './armResources';
import {
  checkCallbackUrlSas,
  type CallbackUrl,
  type CallbackUrlCheck,
  type CallbackUrlIssuer,
  type CallbackUrlVerifier,
} from './callbackUrls';
import { LogicAppsWorkflows, type LogicAppsWorkflowRecord } from './LogicAppsWorkflows';
import { WorkflowAccessKeys, type WorkflowKeyType } from './WorkflowKeyType';
import { triggersFrom, type WorkflowState, type WorkflowTrigger, type WorkflowTriggerKind } from './WorkflowTrigger';

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

export interface ListCallbackUrlOptions {
  /** Pins the URL to a workflow version (`sp=/versions/{v}/triggers/{t}/run`). */
  readonly versionId?: string;
  /** Adds `se`, after which the runtime refuses the URL. */
  readonly notAfter?: Date;
}

/** The api-version real Consumption callback URLs carry. */
const callbackUrlApiVersion = '2016-10-01';
const invokePath = /^\/workflows\/([0-9a-f]{32})(?:\/versions\/([^/]+))?\/triggers\/([^/]+)\/paths\/invoke$/i;

/**
 * Logic Apps (Consumption) workflows: what Microsoft.Logic serves, and the signatures the runtime checks
 * their callback URLs against (this host's half of the oracle).
 */
export class ConsumptionWorkflowsState extends LogicAppsWorkflows<StoredWorkflow> implements CallbackUrlVerifier {
  /** @param resourceGroups ARM's resource groups, which adding a workflow creates. */
  constructor(callbackUrls: CallbackUrlIssuer, resourceGroups: ResourceGroups) {
    super('Workflow', callbackUrls, resourceGroups);
  }

  /** Creates a workflow with fresh keys; returns its ARM resource ID. */
  addWorkflow(options: AddWorkflowOptions): string {
    this.resourceGroups.add(options.subscriptionId, options.resourceGroup);
    const now = new Date();
    return this.add({
      id: `/subscriptions/${options.subscriptionId}/resourceGroups/${options.resourceGroup}/providers/Microsoft.Logic/workflows/${options.name}`,
      subscriptionId: options.subscriptionId,
      resourceGroup: options.resourceGroup,
      name: options.name,
      location: options.location ?? 'westeurope',
      tags: { ...(options.tags ?? {}) },
      state: options.state ?? 'Enabled',
      triggers: triggersFrom(options.triggers ?? { manual: 'Request' }),
      accessEndpointId: randomBytes(16).toString('hex'),
      version: newWorkflowVersion(),
      createdTime: now,
      changedTime: now,
      accessKeys: new WorkflowAccessKeys(),
    });
  }

  /** Workflows of a subscription or one of its resource groups, in the order they were added. */
  list(subscriptionId: string, resourceGroup?: string): StoredWorkflow[] {
    return [...this.workflows.values()].filter((workflow) => isInScope(workflow, subscriptionId, resourceGroup));
  }

  /** A workflow ignores the `{keyType}` body on its own (no spec declares that body, so a host might). */
  protected keyTypeScope(workflow: StoredWorkflow): string {
    return workflow.id;
  }

  /** Builds (and signs) a trigger's callback URL the way ARM's listCallbackUrl actions report it. */
  callbackUrl(
    workflow: StoredWorkflow,
    trigger: WorkflowTrigger,
    keyType: WorkflowKeyType,
    options: ListCallbackUrlOptions = {},
  ): CallbackUrl {
    const record = this.require(workflow.id);
    const versionSegment = options.versionId !== undefined ? `/versions/${options.versionId}` : '';
    return this.callbackUrls.sign(record.accessKeys.key(keyType), {
      path: `/workflows/${record.accessEndpointId}${versionSegment}/triggers/${trigger.name}/paths/invoke`,
      sp: `${versionSegment}/triggers/${trigger.name}/run`,
      apiVersion: callbackUrlApiVersion,
      ...(options.notAfter ? { notAfter: options.notAfter } : {}),
    });
  }

  /** `https://127.0.0.1:PORT/workflows/{id}`: the workflow's accessEndpoint property. */
  accessEndpoint(workflow: StoredWorkflow): string {
    return this.callbackUrls.url(`/workflows/${workflow.accessEndpointId}`);
  }

  checkCallbackUrl(url: URL): CallbackUrlCheck | undefined {
    const [, accessEndpointId, versionId, rawTrigger = ''] = this.callbackUrls.match(url, invokePath) ?? [];
    const workflow = accessEndpointId !== undefined ? this.findByAccessEndpoint(accessEndpointId) : undefined;
    if (!workflow) return undefined;
    const trigger = this.trigger(workflow, decodePathSegment(rawTrigger));
    if (!trigger || trigger.kind !== 'Request') return { valid: false, reason: 'notFound' };
    if (versionId !== undefined && versionId !== workflow.version) return { valid: false, reason: 'notFound' };
    const target = {
      host: 'consumption' as const,
      workflowId: workflow.id,
      name: workflow.name,
      trigger: trigger.name,
      enabled: workflow.state === 'Enabled',
    };
    const versionSegment = versionId !== undefined ? `/versions/${versionId}` : '';
    return checkCallbackUrlSas(url, target, workflow.accessKeys.current(), `${versionSegment}/triggers/${trigger.name}/run`);
  }

  private findByAccessEndpoint(accessEndpointId: string): (StoredWorkflow & LogicAppsWorkflowRecord) | undefined {
    const wanted = accessEndpointId.toLowerCase();
    return [...this.workflows.values()].find((workflow) => workflow.accessEndpointId === wanted);
  }
}

/** Workflow versions are 20-digit, time-ordered numbers. */
function newWorkflowVersion(): string {
  return `0858${String(Date.now()).padStart(13, '0')}${String(randomInt(1000)).padStart(3, '0')}`;
}
