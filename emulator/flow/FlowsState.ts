import { randomBytes, randomUUID } from 'crypto';
import { decodePathSegment } from '../EmulatorExchange';
import {
  checkCallbackUrlSas,
  isCallbackUrlValid,
  type CallbackUrlCheck,
  type CallbackUrlIssuer,
  type CallbackUrlVerifier,
} from '../logic/callbackUrls';
import { findTrigger, type WorkflowTrigger, type WorkflowTriggerKind } from '../logic/WorkflowTrigger';

/**
 * Where a flow's callback URL lives: `classic` is `https://prod-NN.{region}.logic.azure.com:443/workflows/{id}/triggers/manual/paths/invoke?api-version=2016-06-01…`,
 * `environment` the newer `https://{env}.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/{id}/triggers/manual/paths/invoke?api-version=1…`.
 * The emulator serves both from its runtime origin and keeps their paths (and api-versions), so the style stays visible.
 */
export type FlowUrlStyle = 'classic' | 'environment';

/** "Who can trigger the flow?": `sas` (anyone with the URL), or `oauth` (Entra callers only; the URL carries no `sig`). */
export type FlowTriggerAuthentication = 'sas' | 'oauth';

export interface AddFlowOptions {
  /** The environment name, e.g. `Default-<tenant>` or a GUID. */
  environment: string;
  /** The flow's name (a GUID in Power Automate). Default: a new GUID. */
  name?: string;
  /** Default 'manual' (what "When an HTTP request is received" is called in a flow). */
  trigger?: string;
  /** Default 'Request'. */
  triggerKind?: WorkflowTriggerKind;
  /** Default 'classic'. */
  urlStyle?: FlowUrlStyle;
  /** Wrap every successful answer of the Flow API for this flow as `{ "response": { … } }`. Default false. */
  wrapResponses?: boolean;
  /** Default 'sas'. */
  triggerAuthentication?: FlowTriggerAuthentication;
}

/** A Power Automate flow as the emulator stores it. */
export interface StoredFlow {
  /** `/providers/Microsoft.ProcessSimple/environments/{env}/flows/{name}`. */
  readonly id: string;
  readonly environment: string;
  readonly name: string;
  readonly trigger: WorkflowTrigger;
  readonly urlStyle: FlowUrlStyle;
  readonly wrapResponses: boolean;
  readonly triggerAuthentication: FlowTriggerAuthentication;
  /** The 32-hex Logic Apps workflow id in the flow's callback URLs (not the flow's name). */
  readonly accessEndpointId: string;
}

interface FlowRecord extends StoredFlow {
  accessKey: Buffer;
  keyVersion: number;
}

/** What the Flow API's listCallbackUrl reports. An OAuth-only trigger's URL has only `api-version`. */
export interface FlowCallbackUrl {
  readonly value: string;
  readonly basePath: string;
  readonly queries: { readonly 'api-version': string; readonly sp?: string; readonly sv?: string; readonly sig?: string };
}

/** The api-versions real flow callback URLs carry, per style. */
const callbackUrlApiVersions: Readonly<Record<FlowUrlStyle, string>> = { classic: '2016-06-01', environment: '1' };
const environmentPrefix = '/powerautomate/automations/direct';
const invokePath = /^(\/powerautomate\/automations\/direct)?\/workflows\/([0-9a-f]{32})\/triggers\/([^/]+)\/paths\/invoke$/i;
const flowIdPattern = /^\/providers\/Microsoft\.ProcessSimple\/environments\/([^/]+)\/flows\/([^/]+)$/i;

/** Whether an ID names a Power Automate flow (`/providers/Microsoft.ProcessSimple/environments/{env}/flows/{flow}`). */
export function isFlowId(workflowId: string): boolean {
  return flowIdPattern.test(workflowId);
}

/**
 * Power Automate flows behind the Flow API: ONE access key per flow (regenerating it is a hard cut), and
 * their part of the callback URL oracle.
 */
export class FlowsState implements CallbackUrlVerifier {
  private readonly flows = new Map<string, FlowRecord>();
  private readonly environments = new Set<string>();

  /** @param callbackUrls signs flows' URLs the way the Logic Apps runtime under Power Automate checks them. */
  constructor(private readonly callbackUrls: CallbackUrlIssuer) {}

  /** An environment without flows, so that its flows answer FlowNotFound rather than EnvironmentNotFound. */
  addEnvironment(environment: string): void {
    this.environments.add(environment.toLowerCase());
  }

  environmentExists(environment: string): boolean {
    return this.environments.has(environment.toLowerCase());
  }

  /** Creates a flow with a fresh key; returns its ID. */
  addFlow(options: AddFlowOptions): string {
    const name = options.name ?? randomUUID();
    const id = `/providers/Microsoft.ProcessSimple/environments/${options.environment}/flows/${name}`;
    if (this.flows.has(id.toLowerCase())) throw new Error(`Flow ${id} already exists in the emulator`);
    this.addEnvironment(options.environment);
    this.flows.set(id.toLowerCase(), {
      id,
      environment: options.environment,
      name,
      trigger: { name: options.trigger ?? 'manual', kind: options.triggerKind ?? 'Request' },
      urlStyle: options.urlStyle ?? 'classic',
      wrapResponses: options.wrapResponses ?? false,
      triggerAuthentication: options.triggerAuthentication ?? 'sas',
      accessEndpointId: randomBytes(16).toString('hex'),
      accessKey: randomBytes(32),
      keyVersion: 0,
    });
    return id;
  }

  find(flowId: string): StoredFlow | undefined {
    return this.flows.get(flowId.toLowerCase());
  }

  /** Replaces the flow's only key: every URL signed before stops working at once. */
  regenerateAccessKey(flowId: string): void {
    const flow = this.require(flowId);
    flow.accessKey = randomBytes(32);
    flow.keyVersion += 1;
  }

  /** How many times the key was regenerated since the flow was added. */
  keyVersionOf(flowId: string): number {
    return this.require(flowId).keyVersion;
  }

  /** The URL listCallbackUrl reports now (for an OAuth-only trigger: without `sig`). */
  currentCallbackUrl(flowId: string, trigger?: string): string {
    const flow = this.require(flowId);
    if (trigger !== undefined && !this.trigger(flow, trigger)) throw new Error(`Flow ${flowId} has no trigger '${trigger}'`);
    return this.callbackUrl(flow).value;
  }

  /** The oracle for flows only: would the runtime accept this URL, by itself, now? */
  isCallbackUrlValid(url: string): boolean {
    return isCallbackUrlValid(this, url);
  }

  trigger(flow: StoredFlow, triggerName: string): WorkflowTrigger | undefined {
    return findTrigger([flow.trigger], triggerName);
  }

  callbackUrl(flow: StoredFlow): FlowCallbackUrl {
    const record = this.require(flow.id);
    const apiVersion = callbackUrlApiVersions[record.urlStyle];
    const path = `${record.urlStyle === 'environment' ? environmentPrefix : ''}/workflows/${record.accessEndpointId}/triggers/${encodeURIComponent(record.trigger.name)}/paths/invoke`;
    if (record.triggerAuthentication === 'oauth') {
      const basePath = this.callbackUrls.url(path);
      return { value: `${basePath}?api-version=${apiVersion}`, basePath, queries: { 'api-version': apiVersion } };
    }
    return this.callbackUrls.sign(record.accessKey, { path, sp: `/triggers/${record.trigger.name}/run`, apiVersion });
  }

  checkCallbackUrl(url: URL): CallbackUrlCheck | undefined {
    const match = this.callbackUrls.match(url, invokePath);
    if (!match) return undefined;
    const [, prefix, accessEndpointId = '', rawTrigger = ''] = match;
    const wanted = accessEndpointId.toLowerCase();
    const flow = [...this.flows.values()].find((candidate) => candidate.accessEndpointId === wanted);
    if (!flow) return undefined;
    const styleMatches = (prefix !== undefined) === (flow.urlStyle === 'environment');
    const trigger = this.trigger(flow, decodePathSegment(rawTrigger));
    if (!styleMatches || !trigger || trigger.kind !== 'Request') return { valid: false, reason: 'notFound' };
    const target = { host: 'powerAutomate' as const, workflowId: flow.id, name: flow.name, trigger: trigger.name, enabled: true };
    if (flow.triggerAuthentication === 'oauth') return { valid: false, reason: 'oauthRequired', target };
    return checkCallbackUrlSas(url, target, [flow.accessKey], `/triggers/${trigger.name}/run`);
  }

  private require(flowId: string): FlowRecord {
    const flow = this.flows.get(flowId.toLowerCase());
    if (!flow) throw new Error(`Flow ${flowId} does not exist in the emulator`);
    return flow;
  }
}
