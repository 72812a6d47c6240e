import { decodePathSegment } from '../EmulatorExchange';
import { isInScope, type ResourceGroups } from './armResources';
import {
  checkCallbackUrlSas,
  type CallbackUrl,
  type CallbackUrlCheck,
  type CallbackUrlIssuer,
  type CallbackUrlVerifier,
} from './callbackUrls';
import { LogicAppsWorkflows } from './LogicAppsWorkflows';
import { WorkflowAccessKeys, type WorkflowKeyType } from './WorkflowKeyType';
import { triggersFrom, type WorkflowState, type WorkflowTrigger, type WorkflowTriggerKind } from './WorkflowTrigger';

/** Logic Apps Standard workflows are stateful (run history kept) or stateless. */
export type StandardWorkflowKind = 'Stateful' | 'Stateless';

export interface AddSiteOptions {
  subscriptionId: string;
  resourceGroup: string;
  /** Globally unique, like `{name}.azurewebsites.net`. */
  name: string;
  /** Default 'westeurope'. */
  location?: string;
  /** Default `functionapp,workflowapp` (a Logic Apps Standard app); e.g. `app` for a plain web app. */
  kind?: string;
  tags?: Record<string, string>;
}

export interface AddStandardWorkflowOptions {
  subscriptionId: string;
  resourceGroup: string;
  /** The Logic Apps Standard app; created (kind `functionapp,workflowapp`) when it does not exist yet. */
  site: string;
  name: string;
  /** Trigger name → type. Default `{ manual: 'Request' }`. */
  triggers?: Record<string, WorkflowTriggerKind>;
  /** Merged into the site's tags (discovery reads tags on the site: Standard workflows have none of their own). */
  siteTags?: Record<string, string>;
  /** Default 'Stateful'. */
  kind?: StandardWorkflowKind;
  /** Default 'Enabled'. */
  flowState?: WorkflowState;
  /** The site's location when the site is created here. Default 'westeurope'. */
  location?: string;
}

/** An App Service site as the emulator stores it. */
export interface StoredSite {
  readonly id: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly location: string;
  readonly kind: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** A Logic Apps Standard workflow as the emulator stores it. */
export interface StoredStandardWorkflow {
  /** `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Web/sites/{site}/workflows/{wf}`. */
  readonly id: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly site: string;
  readonly name: string;
  readonly kind: StandardWorkflowKind;
  readonly flowState: WorkflowState;
  readonly triggers: readonly WorkflowTrigger[];
  readonly createdTime: Date;
  readonly changedTime: Date;
}

interface SiteRecord extends StoredSite {
  tags: Record<string, string>;
}

/** The api-version real Standard callback URLs carry (`https://{app}.azurewebsites.net:443/api/{wf}/triggers/{t}/invoke?api-version=2022-05-01…`). */
const callbackUrlApiVersion = '2022-05-01';
/**
 * On the emulator's runtime origin a Standard URL keeps its real path after a `/sites/{app}` prefix, which
 * stands for the `{app}.azurewebsites.net` host name that tells sites apart in Azure.
 */
const invokePath = /^\/sites\/([^/]+)\/api\/([^/]+)\/triggers\/([^/]+)\/invoke$/i;
const workflowIdPattern =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Web\/sites\/([^/]+)\/workflows\/([^/]+)$/i;

/** Whether an ID names a Logic Apps Standard workflow (`…/providers/Microsoft.Web/sites/{app}/workflows/{wf}`). */
export function isStandardWorkflowId(workflowId: string): boolean {
  return workflowIdPattern.test(workflowId);
}

/**
 * Logic Apps Standard: App Service sites of kind `workflowapp` and their workflows, each with its own two
 * access keys (like Consumption). Part of the callback URL oracle.
 */
export class StandardWorkflowsState extends LogicAppsWorkflows<StoredStandardWorkflow> implements CallbackUrlVerifier {
  private readonly sites = new Map<string, SiteRecord>();

  /** @param resourceGroups ARM's resource groups, which adding a site creates. */
  constructor(callbackUrls: CallbackUrlIssuer, resourceGroups: ResourceGroups) {
    super('Standard workflow', callbackUrls, resourceGroups);
  }

  addSite(options: AddSiteOptions): string {
    const id = siteId(options.subscriptionId, options.resourceGroup, options.name);
    if (this.sites.has(options.name.toLowerCase()))
      throw new Error(`Site ${options.name} already exists in the emulator (site names are global)`);
    this.resourceGroups.add(options.subscriptionId, options.resourceGroup);
    this.sites.set(options.name.toLowerCase(), {
      id,
      subscriptionId: options.subscriptionId,
      resourceGroup: options.resourceGroup,
      name: options.name,
      location: options.location ?? 'westeurope',
      kind: options.kind ?? 'functionapp,workflowapp',
      tags: { ...(options.tags ?? {}) },
    });
    return id;
  }

  addWorkflow(options: AddStandardWorkflowOptions): string {
    let site = this.sites.get(options.site.toLowerCase());
    if (!site) {
      this.addSite({
        subscriptionId: options.subscriptionId,
        resourceGroup: options.resourceGroup,
        name: options.site,
        ...(options.location !== undefined ? { location: options.location } : {}),
      });
      site = this.sites.get(options.site.toLowerCase()) as SiteRecord;
    } else if (!isInScope(site, options.subscriptionId, options.resourceGroup)) {
      throw new Error(`Site ${options.site} exists in the emulator under ${site.id}`);
    }
    Object.assign(site.tags, options.siteTags ?? {});
    const now = new Date();
    return this.add({
      id: `${site.id}/workflows/${options.name}`,
      subscriptionId: site.subscriptionId,
      resourceGroup: site.resourceGroup,
      site: site.name,
      name: options.name,
      kind: options.kind ?? 'Stateful',
      flowState: options.flowState ?? 'Enabled',
      triggers: triggersFrom(options.triggers ?? { manual: 'Request' }),
      createdTime: now,
      changedTime: now,
      accessKeys: new WorkflowAccessKeys(),
    });
  }

  findSite(name: string): StoredSite | undefined {
    return this.sites.get(name.toLowerCase());
  }

  /** Sites of a subscription or one of its resource groups, in the order they were added (every kind). */
  listSites(subscriptionId: string, resourceGroup?: string): StoredSite[] {
    return [...this.sites.values()].filter((site) => isInScope(site, subscriptionId, resourceGroup));
  }

  workflowsOf(site: StoredSite): StoredStandardWorkflow[] {
    return [...this.workflows.values()].filter((workflow) => workflow.site.toLowerCase() === site.name.toLowerCase());
  }

  /**
   * Saves the workflow with another set of triggers (a trigger renamed in the designer, say): URLs of
   * triggers that are gone stop working, the keys stay.
   */
  saveTriggers(workflowId: string, triggers: Record<string, WorkflowTriggerKind>): void {
    const workflow = this.require(workflowId);
    this.workflows.set(workflowId.toLowerCase(), {
      ...workflow,
      triggers: triggersFrom(triggers),
      changedTime: new Date(),
    });
  }

  /**
   * A site's runtime ignores the `{keyType}` body for all its workflows, as a host might (Microsoft
   * documents that body for Consumption only).
   */
  protected keyTypeScope(workflow: StoredStandardWorkflow): string {
    return workflow.site;
  }

  /** Builds and signs the URL the management API's listCallbackUrl reports. */
  callbackUrl(
    workflow: StoredStandardWorkflow,
    trigger: WorkflowTrigger,
    keyType: WorkflowKeyType,
    options: { notAfter?: Date } = {},
  ): CallbackUrl {
    const record = this.require(workflow.id);
    return this.callbackUrls.sign(record.accessKeys.key(keyType), {
      path: `/sites/${encodeURIComponent(record.site)}/api/${encodeURIComponent(record.name)}/triggers/${encodeURIComponent(trigger.name)}/invoke`,
      sp: `/triggers/${trigger.name}/run`,
      apiVersion: callbackUrlApiVersion,
      ...(options.notAfter ? { notAfter: options.notAfter } : {}),
    });
  }

  checkCallbackUrl(url: URL): CallbackUrlCheck | undefined {
    const match = this.callbackUrls.match(url, invokePath);
    if (!match) return undefined;
    const [, rawSite = '', rawWorkflow = '', rawTrigger = ''] = match;
    const site = this.sites.get(decodePathSegment(rawSite).toLowerCase());
    const workflow = site ? this.workflows.get(`${site.id}/workflows/${decodePathSegment(rawWorkflow)}`.toLowerCase()) : undefined;
    const trigger = workflow ? this.trigger(workflow, decodePathSegment(rawTrigger)) : undefined;
    if (!workflow || !trigger || trigger.kind !== 'Request') return { valid: false, reason: 'notFound' };
    const target = {
      host: 'standard' as const,
      workflowId: workflow.id,
      name: workflow.name,
      trigger: trigger.name,
      enabled: workflow.flowState === 'Enabled',
    };
    return checkCallbackUrlSas(url, target, workflow.accessKeys.current(), `/triggers/${trigger.name}/run`);
  }
}

function siteId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Web/sites/${name}`;
}
