import { getContinuationToken, LogicManagementClient } from '@azure/arm-logic';
import type { WebSiteManagementClient } from '@azure/arm-appservice';
import { isRestError } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { azureRetryClientOptions, defaultRetrySettings, type RetrySettings } from '../core/azureRetryPolicy';
import { parseTarget, type ArmListingScope, type DiscoveryScope, type ManagementGroupScope } from '../../composition/config';
import type { DiscoveryProblem } from '../../rotation/DiscoveryProblem';
import type { OperationOptions } from '../../rotation/ports';
import type { RotationTarget } from '../../rotation/RotationTarget';
import { mapWithConcurrency } from '../../rotation/mapWithConcurrency';
import { parseWorkflowResourceId } from '../../rotation/WorkflowResourceId';
import { scrubSecrets } from '../../rotation/scrubSecrets';
import { clientsPerSubscription } from '../core/armClients';
import { boundedPages, ListingStoppedError, requireValueArray } from '../core/boundedPages';
import { ResourceGraphClient, resourceGraphMaxPageSize, resourceGraphRows, type ResourceGraphQuery } from '../core/resourceGraph';
import { ManagementGroupSubscriptions } from './ManagementGroupSubscriptions';

/**
 * The one Resource Graph query of a management-group scope (docs/design.md §4.5): Consumption workflows and
 * Logic Apps Standard sites whose tags mention `sas-rotation` (`contains` is case-insensitive), in a stable
 * order for `$skipToken` paging. The query only narrows: each row is then judged by the same `isEnabled`
 * as an ARM listing (tag name and value case-insensitive, value `enabled`) and built into a target by the
 * same `addTarget`. The emulator answers exactly this text (emulator/resourceGraph): change both together.
 */
export const managementGroupDiscoveryQuery =
  "resources | where type =~ 'microsoft.logic/workflows' or (type =~ 'microsoft.web/sites' and kind contains 'workflowapp') | where tags contains 'sas-rotation' | project id, type, kind, tags | order by id asc";

/**
 * The subscriptions a management group holds, those of its nested groups included (a query scoped to
 * `managementGroups: [<id>]` covers the whole subtree): what a fan-out worker asks, once per group and
 * process for a few minutes, before it confirms a target only a management-group scope covers
 * (docs/design.md §11.1). The emulator answers exactly this text too.
 */
export const managementGroupSubscriptionsQuery =
  "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' | project subscriptionId | order by subscriptionId asc";

/** docs/design.md §4.5: the tags that put a workflow (or a whole Standard site) under rotation. */
export const discoveryTags = {
  enabled: 'sas-rotation',
  secretName: 'sas-rotation-secret',
  trigger: 'sas-rotation-trigger',
  intervalDays: 'sas-rotation-interval-days',
  /**
   * Resource IDs of the workflow's dependents separated by `;` (docs/design.md §12). A tag value holds
   * at most 256 characters, about one resource ID: more go into `sas-rotation-dependents-2` … `-9`.
   */
  dependents: 'sas-rotation-dependents',
} as const;

/** The dependents tags in order: `sas-rotation-dependents`, then `-2` to `-9`. */
const dependentsTagNames = [
  discoveryTags.dependents,
  ...Array.from({ length: 8 }, (_, index) => `${discoveryTags.dependents}-${index + 2}`),
];

/**
 * The bounds of one discovery (docs/design.md §4.5), the same for the timer, the queue workers and the CLI.
 * The budget leaves the listed targets most of the run: discovery of a scope that answers slowly,
 * throttles or pages for ever ends as a problem, never as a run that rotates nothing.
 */
export interface DiscoveryLimits {
  /** Pages of one listing (workflows or sites of one scope, workflows of one site). */
  readonly maxPages: number;
  /** Time for the whole discovery, all scopes together. */
  readonly budgetMs: number;
  /** Rows per Resource Graph page (`options.$top`, 1 to 1000); default 1000. Smaller only in tests. */
  readonly resourceGraphPageSize?: number;
}

export const defaultDiscoveryLimits: DiscoveryLimits = { maxPages: 1_000, budgetMs: 2 * 60 * 1000 };

export interface DiscoveryResult {
  /** Each workflow once, in the order listed. */
  readonly targets: readonly RotationTarget[];
  /** Scopes, sites and listings that could not be read, and tagged resources with bad tags: the run is incomplete. */
  readonly problems: readonly DiscoveryProblem[];
}

/**
 * One queued workflow checked against its resource as it is now (`confirm`): the target its current tags
 * make, or why it is none (`notATarget`), or the problem that kept the check from an answer (`problem`).
 */
export type Confirmation = { readonly target: RotationTarget } | { readonly notATarget: string } | { readonly problem: DiscoveryProblem };

type Tags = Readonly<Record<string, string>> | undefined;

interface TaggedSite {
  readonly id: string;
  readonly subscriptionId: string;
  readonly name: string;
  readonly resourceGroup: string;
  readonly tags: Tags;
}

/**
 * Tagged Standard sites whose workflows are listed at once. One after the other, a management group with
 * hundreds of tagged sites would spend discovery's budget on them and cut off the same last sites (the query
 * is ordered by ID) on every run; 8 at a time stays far inside ARM's read bucket (250, refilled at 25 per
 * second per subscription).
 */
const siteListingConcurrency = 8;

/** What one discovery collects while it walks the scopes. */
class DiscoveryFindings {
  private readonly byId = new Map<string, RotationTarget>();
  private readonly reported = new Set<string>();
  private readonly listedSites = new Set<string>();
  readonly problems: DiscoveryProblem[] = [];

  add(target: RotationTarget): void {
    // A listing that repeats itself, or two scopes that overlap, name a workflow twice: keep it once.
    const key = target.workflowId.toLowerCase();
    if (!this.byId.has(key)) this.byId.set(key, target);
  }

  /** A problem once, even when overlapping scopes (a subscription inside a listed management group) meet it twice: one alert each. */
  report(problem: DiscoveryProblem): void {
    const key = [problem.resourceId.toLowerCase(), problem.operation, problem.errorCode, problem.message].join('\n');
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.problems.push(problem);
  }

  /** Takes what a part of the discovery found on its own, in order. */
  merge(part: DiscoveryFindings): void {
    for (const target of part.targets) this.add(target);
    for (const problem of part.problems) this.report(problem);
  }

  /** Whether a tagged site is still to be listed; marks it listed. Overlapping scopes find a site twice. */
  firstSighting(site: TaggedSite): boolean {
    const key = site.id.toLowerCase();
    if (this.listedSites.has(key)) return false;
    this.listedSites.add(key);
    return true;
  }

  get targets(): RotationTarget[] {
    return [...this.byId.values()];
  }
}

/**
 * Finds targets by tag in ARM scopes: Consumption workflows tagged `sas-rotation: enabled`, and
 * Logic Apps Standard sites so tagged (each of their workflows is a target). The policy lives on
 * the workflow; tag values go through the same validation as listed targets. Every listing that
 * fails is a problem of its own (one scope, one site), so one failure hides nothing else.
 */
export class ArmTargetDiscovery {
  private resourceGraph: ResourceGraphClient | undefined;
  /** Built once per process with the services, so a worker's messages share what it learnt of each group. */
  private readonly managementGroups: ManagementGroupSubscriptions;

  /** `now` (milliseconds, any origin) times how long a management group's subscriptions are kept. */
  constructor(
    private readonly credential: TokenCredential,
    private readonly resourceManagerEndpoint: string,
    private readonly defaultIntervalDays: number,
    private readonly retry: RetrySettings = defaultRetrySettings,
    private readonly limits: DiscoveryLimits = defaultDiscoveryLimits,
    now?: () => number,
  ) {
    this.managementGroups = new ManagementGroupSubscriptions((managementGroupId) => this.readSubscriptionsOf(managementGroupId), now);
  }

  async discover(scopes: readonly DiscoveryScope[], options: OperationOptions = {}): Promise<DiscoveryResult> {
    const budget = AbortSignal.timeout(this.limits.budgetMs);
    const signal = options.abortSignal ? AbortSignal.any([options.abortSignal, budget]) : budget;
    const findings = new DiscoveryFindings();
    const deadlineAt = Date.now() + this.limits.budgetMs;
    for (const scope of scopes) {
      if (scope.managementGroupId !== undefined) {
        await this.discoverManagementGroup(scope, findings, signal, options.abortSignal, deadlineAt);
        continue;
      }
      const where = scopeId(scope);
      const consumption = scope.resourceGroupName ? 'Workflows_ListByResourceGroup' : 'Workflows_ListBySubscription';
      await this.guard(findings, where, '', consumption, signal, options.abortSignal, () =>
        this.discoverConsumption(scope, where, findings, signal),
      );
      const client = this.webClient(scope.subscriptionId);
      const sites: TaggedSite[] = [];
      const standard = scope.resourceGroupName ? 'WebApps_ListByResourceGroup' : 'WebApps_List';
      await this.guard(findings, where, '', standard, signal, options.abortSignal, () =>
        this.listTaggedSites(client, scope, signal, sites),
      );
      await this.discoverSites(sites, where, findings, signal, options.abortSignal);
    }
    return { targets: findings.targets, problems: findings.problems };
  }

  /**
   * Checks one workflow a fan-out message names against the configuration as it is now, without
   * listing anything (docs/design.md §11.1): it must lie inside a configured scope, and its resource,
   * read with one GET (Consumption: `Workflows_Get`; Standard: `WebApps_Get` for the site's tags),
   * must carry the tags discovery looks for. The target is built from those
   * current tags by the parser discovery uses, so nothing of the message but the resource ID is used.
   * A subscription that no subscription or resource-group scope names may lie in a configured management
   * group: which subscriptions each holds is asked of Resource Graph, once per group and process for a few
   * minutes (`ManagementGroupSubscriptions`), never taken from the message.
   */
  async confirm(workflowId: string, scopes: readonly DiscoveryScope[], options: OperationOptions = {}): Promise<Confirmation> {
    const id = parseWorkflowResourceId(workflowId.trim());
    if (!id || id.host === 'powerAutomate') return { notATarget: 'it is not the resource ID of a Logic Apps workflow' };
    const signal = options.abortSignal;
    const scope = scopes.find(
      (candidate): candidate is ArmListingScope =>
        candidate.subscriptionId !== undefined &&
        candidate.subscriptionId.toLowerCase() === id.subscriptionId.toLowerCase() &&
        (candidate.resourceGroupName === undefined || candidate.resourceGroupName.toLowerCase() === id.resourceGroupName.toLowerCase()),
    );
    const inScope = scope ? { where: scopeId(scope) } : await this.managementGroupScopeOf(workflowId, id.subscriptionId, scopes, signal);
    if (!('where' in inScope)) return inScope;
    const { where } = inScope;
    const findings = new DiscoveryFindings();
    const operation = id.host === 'consumption' ? 'Workflows_Get' : 'WebApps_Get';
    try {
      if (id.host === 'consumption') {
        const workflow = await this.logicClient(id.subscriptionId).workflows.get(id.resourceGroupName, id.workflowName, {
          abortSignal: signal,
        });
        if (!workflow.id || !isEnabled(workflow.tags)) return { notATarget: 'it is not tagged sas-rotation: enabled (any more)' };
        this.addTarget(workflow.id, workflow.tags, false, where, findings);
      } else {
        const client = this.webClient(id.subscriptionId);
        const site = await client.webApps.get(id.resourceGroupName, id.siteName, { abortSignal: signal });
        if (!site.id || !/workflowapp/i.test(site.kind ?? '') || !isEnabled(site.tags)) {
          return { notATarget: 'its site is not a Logic Apps Standard site tagged sas-rotation: enabled (any more)' };
        }
        // The site's tags decide; the workflow itself is not read. WebApps_GetWorkflow's published spec
        // admits only names matching ^[a-z][a-z0-9]*$, which real workflow names (hyphens) do not, and a
        // workflow that does not exist fails the rotation's first listCallbackUrl, which skips a site
        // workflow without a Request trigger anyway (docs/design.md §3.6).
        this.addTarget(`${site.id}/workflows/${id.workflowName}`, site.tags, true, where, findings);
      }
    } catch (error) {
      if (isRestError(error) && error.statusCode === 404) return { notATarget: 'it does not exist (any more)' };
      const { statusCode, errorCode, detail } = signal?.aborted
        ? { statusCode: undefined, errorCode: 'DeadlineReached', detail: "the invocation's deadline came first" }
        : describeRestError(error);
      return {
        problem: {
          scope: where,
          resourceId: scrubSecrets(workflowId),
          operation,
          statusCode,
          errorCode,
          message: scrubSecrets(`${operation} could not read ${workflowId}, so it could not be confirmed as a target: ${detail}`),
        },
      };
    }
    const [target] = findings.targets;
    if (target) return { target };
    return { notATarget: findings.problems.map((problem) => problem.message).join(' ') || 'its tags make no target' };
  }

  /**
   * The first configured management-group scope (in ROTATION_DISCOVERY's order, as discovery names the scope
   * of what it finds) that holds `subscriptionId`. A group whose query fails is a problem only if no other
   * group holds the subscription: an answer elsewhere settles it, and the message is not held up by a group
   * that is of no concern to it.
   */
  private async managementGroupScopeOf(
    workflowId: string,
    subscriptionId: string,
    scopes: readonly DiscoveryScope[],
    signal: AbortSignal | undefined,
  ): Promise<{ readonly where: string } | { readonly notATarget: string } | { readonly problem: DiscoveryProblem }> {
    const groups = scopes.filter((candidate): candidate is ManagementGroupScope => candidate.managementGroupId !== undefined);
    if (groups.length === 0) return { notATarget: 'it lies in no ROTATION_DISCOVERY scope' };
    let unanswered: DiscoveryProblem | undefined;
    for (const group of groups) {
      try {
        if (await this.managementGroups.holds(group.managementGroupId, subscriptionId, signal)) return { where: scopeId(group) };
      } catch (error) {
        unanswered ??= this.unansweredGroupProblem(error, group, workflowId, signal);
        if (signal?.aborted) break;
      }
    }
    if (unanswered) return { problem: unanswered };
    return {
      notATarget:
        'its subscription lies in no subscription or resource-group scope of ROTATION_DISCOVERY, nor in any of its management groups',
    };
  }

  /** A management group whose subscriptions Resource Graph did not tell: the target is neither confirmed nor rejected. */
  private unansweredGroupProblem(
    error: unknown,
    group: ManagementGroupScope,
    workflowId: string,
    signal: AbortSignal | undefined,
  ): DiscoveryProblem {
    const { statusCode, errorCode, detail } =
      error instanceof ListingStoppedError
        ? { statusCode: undefined, errorCode: error.code, detail: error.message }
        : signal?.aborted
          ? { statusCode: undefined, errorCode: 'DeadlineReached', detail: "the invocation's deadline came first" }
          : describeRestError(error);
    return {
      scope: scopeId(group),
      resourceId: scrubSecrets(workflowId),
      operation: 'Resources',
      statusCode,
      errorCode,
      message: scrubSecrets(
        `Resources (Resource Graph) could not tell which subscriptions management group ${group.managementGroupId} holds (${[statusCode, errorCode].filter((part) => part !== undefined).join(' ')}: ${detail}), so ${workflowId} could not be confirmed as a target`,
      ),
    };
  }

  /** Runs one listing; its failure becomes a problem of that listing only. */
  private async guard(
    findings: DiscoveryFindings,
    scope: string,
    resourceId: string,
    operation: string,
    signal: AbortSignal,
    runDeadline: AbortSignal | undefined,
    listing: () => Promise<void>,
  ): Promise<void> {
    try {
      if (signal.aborted) throw signal.reason;
      await listing();
    } catch (error) {
      findings.report(this.problemOf(error, scope, resourceId, operation, signal, runDeadline));
    }
  }

  private problemOf(
    error: unknown,
    scope: string,
    resourceId: string,
    operation: string,
    signal: AbortSignal,
    runDeadline: AbortSignal | undefined,
  ): DiscoveryProblem {
    const what = resourceId ? `the workflows of ${resourceId}` : scope;
    if (error instanceof ListingStoppedError) {
      return {
        scope,
        resourceId,
        operation,
        statusCode: undefined,
        errorCode: error.code,
        message: `${operation} of ${what}: ${error.message}.`,
      };
    }
    if (signal.aborted && runDeadline?.aborted) {
      return {
        scope,
        resourceId,
        operation,
        statusCode: undefined,
        errorCode: 'DeadlineReached',
        message: `${what} was not listed before the run's deadline; the next run lists it again.`,
      };
    }
    if (signal.aborted) {
      return {
        scope,
        resourceId,
        operation,
        statusCode: undefined,
        errorCode: 'DiscoveryTimedOut',
        message: `${what} was not listed within discovery's budget of ${this.limits.budgetMs / 1000} s, so that the listed and already discovered targets keep the rest of the run; the next run lists it again.`,
      };
    }
    const { statusCode, errorCode, detail } = describeRestError(error);
    return { scope, resourceId, operation, statusCode, errorCode, message: scrubSecrets(`listing ${what} failed: ${detail}`) };
  }

  /** Each site on its own (even those found before a listing failed): one site whose workflows cannot be listed hides no other. */
  private async discoverSites(
    sites: readonly TaggedSite[],
    where: string,
    findings: DiscoveryFindings,
    signal: AbortSignal,
    runDeadline: AbortSignal | undefined,
  ): Promise<void> {
    // One client per subscription: a management group's sites lie in many.
    const clientOf = clientsPerSubscription((subscriptionId) => this.webClient(subscriptionId));
    const unlisted = sites.filter((site) => findings.firstSighting(site));
    // Each site into findings of its own, merged in the order listed, so that the targets' order stays stable.
    const perSite = await mapWithConcurrency(unlisted, siteListingConcurrency, async (site) => {
      const found = new DiscoveryFindings();
      await this.guard(found, where, site.id, 'WebApps_ListWorkflows', signal, runDeadline, () =>
        this.discoverSiteWorkflows(clientOf(site.subscriptionId), site, where, found, signal),
      );
      return found;
    });
    for (const found of perSite) findings.merge(found);
  }

  /**
   * A management group: one Resource Graph query (`Resources`) over all its subscriptions, paged with
   * `$skipToken`, then `WebApps_ListWorkflows` for each tagged Standard site it found (docs/design.md §4.5).
   */
  private async discoverManagementGroup(
    scope: ManagementGroupScope,
    findings: DiscoveryFindings,
    signal: AbortSignal,
    runDeadline: AbortSignal | undefined,
    deadlineAt: number,
  ): Promise<void> {
    const where = scopeId(scope);
    const sites: TaggedSite[] = [];
    await this.guard(findings, where, '', 'Resources', signal, runDeadline, async () => {
      const rows = resourceGraphRows(
        this.resourceGraphClient(),
        this.resourceGraphQuery(managementGroupDiscoveryQuery, scope.managementGroupId),
        {
          maxPages: this.limits.maxPages,
          deadlineAt,
          abortSignal: signal,
        },
      );
      for await (const row of rows) this.takeGraphRow(row, where, findings, sites);
    });
    await this.discoverSites(sites, where, findings, signal, runDeadline);
  }

  /**
   * The subscriptions of one management group (`managementGroupSubscriptionsQuery`), all of them or a failure:
   * a partial answer would reject a target of a page not read. The query's time is discovery's budget, of
   * its own and not a message's: its answer is shared by every message that waits for it.
   */
  private async readSubscriptionsOf(managementGroupId: string): Promise<string[]> {
    const abortSignal = AbortSignal.timeout(this.limits.budgetMs);
    const subscriptionIds: string[] = [];
    const rows = resourceGraphRows(
      this.resourceGraphClient(),
      this.resourceGraphQuery(managementGroupSubscriptionsQuery, managementGroupId),
      {
        maxPages: this.limits.maxPages,
        deadlineAt: Date.now() + this.limits.budgetMs,
        abortSignal,
      },
    );
    try {
      for await (const row of rows) {
        const subscriptionId = (row as { subscriptionId?: unknown } | null)?.subscriptionId;
        if (typeof subscriptionId !== 'string' || subscriptionId === '') {
          throw new ListingStoppedError('MalformedListAnswer', 'Resource Graph answered a row without a subscriptionId');
        }
        subscriptionIds.push(subscriptionId);
      }
    } catch (error) {
      if (abortSignal.aborted && !(error instanceof ListingStoppedError)) {
        throw new ListingStoppedError(
          'DiscoveryTimedOut',
          `Resource Graph did not answer within discovery's budget of ${this.limits.budgetMs / 1000} s`,
        );
      }
      throw error;
    }
    return subscriptionIds;
  }

  private resourceGraphClient(): ResourceGraphClient {
    return (this.resourceGraph ??= new ResourceGraphClient(this.credential, this.resourceManagerEndpoint, this.retry));
  }

  private resourceGraphQuery(query: string, managementGroupId: string): ResourceGraphQuery {
    return {
      query,
      managementGroups: [managementGroupId],
      top: Math.max(1, Math.min(resourceGraphMaxPageSize, this.limits.resourceGraphPageSize ?? resourceGraphMaxPageSize)),
    };
  }

  /** One Resource Graph row (`id`, `type`, `kind`, `tags`): a tagged Consumption workflow or Standard site, judged as ARM's listings are. */
  private takeGraphRow(row: unknown, where: string, findings: DiscoveryFindings, sites: TaggedSite[]): void {
    const fields = (row ?? {}) as { id?: unknown; type?: unknown; kind?: unknown; tags?: unknown };
    if (typeof fields.id !== 'string' || typeof fields.type !== 'string') {
      throw new ListingStoppedError(
        'MalformedListAnswer',
        'Resource Graph answered a row without a string id and type, so the resources of this page are unknown; the query was stopped there',
      );
    }
    const tags = stringTags(fields.tags);
    if (!isEnabled(tags)) return;
    const type = fields.type.toLowerCase();
    if (type === 'microsoft.logic/workflows') {
      this.addTarget(fields.id, tags, false, where, findings);
    } else if (type === 'microsoft.web/sites' && /workflowapp/i.test(typeof fields.kind === 'string' ? fields.kind : '')) {
      const site = taggedSite(fields.id, tags);
      if (site) sites.push(site);
    }
  }

  private logicClient(subscriptionId: string): LogicManagementClient {
    return new LogicManagementClient(this.credential, subscriptionId, {
      endpoint: this.resourceManagerEndpoint,
      ...azureRetryClientOptions(this.retry),
    });
  }

  private async discoverConsumption(
    scope: ArmListingScope,
    where: string,
    findings: DiscoveryFindings,
    signal: AbortSignal,
  ): Promise<void> {
    const client = this.logicClient(scope.subscriptionId);
    const options = { abortSignal: signal, onResponse: requireValueArray };
    const workflows = scope.resourceGroupName
      ? client.workflows.listByResourceGroup(scope.resourceGroupName, options)
      : client.workflows.listBySubscription(options);
    for await (const workflow of boundedPages(workflows.byPage(), getContinuationToken, this.limits.maxPages)) {
      if (workflow.id && isEnabled(workflow.tags)) {
        this.addTarget(workflow.id, workflow.tags, false, where, findings);
      }
    }
  }

  /** The Logic Apps Standard sites of a scope tagged for rotation. */
  private async listTaggedSites(
    client: WebSiteManagementClient,
    scope: ArmListingScope,
    signal: AbortSignal,
    sites: TaggedSite[],
  ): Promise<void> {
    const listing = scope.resourceGroupName
      ? client.webApps.listByResourceGroup(scope.resourceGroupName, { abortSignal: signal })
      : client.webApps.list({ abortSignal: signal });
    for await (const site of boundedPages(listing.byPage(), webContinuationToken, this.limits.maxPages)) {
      if (!site.id || !site.name || !/workflowapp/i.test(site.kind ?? '') || !isEnabled(site.tags)) continue;
      const tagged = taggedSite(site.id, site.tags);
      if (tagged) sites.push(tagged);
    }
  }

  private async discoverSiteWorkflows(
    client: WebSiteManagementClient,
    site: TaggedSite,
    where: string,
    findings: DiscoveryFindings,
    signal: AbortSignal,
  ): Promise<void> {
    const workflows = client.webApps.listWorkflows(site.resourceGroup, site.name, { abortSignal: signal });
    for await (const workflow of boundedPages(workflows.byPage(), webContinuationToken, this.limits.maxPages)) {
      const workflowName = workflow.name?.split('/').pop();
      if (workflowName) {
        this.addTarget(`${site.id}/workflows/${workflowName}`, site.tags, true, where, findings);
      }
    }
  }

  private webClient(subscriptionId: string): WebSiteManagementClient {
    // Loaded on demand, as in the gateway: most estates have no Standard sites.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { WebSiteManagementClient } = require('@azure/arm-appservice') as typeof import('@azure/arm-appservice');
    return new WebSiteManagementClient(this.credential, subscriptionId, {
      endpoint: this.resourceManagerEndpoint,
      apiVersion: '2024-04-01',
      credentials: { scopes: [`${this.resourceManagerEndpoint}/.default`] },
      ...azureRetryClientOptions(this.retry),
    });
  }

  private addTarget(workflowId: string, tags: Tags, fromSite: boolean, scope: string, findings: DiscoveryFindings): void {
    const intervalText = tag(tags, discoveryTags.intervalDays);
    const dependentsText = dependentsTagNames.map((name) => tag(tags, name)).filter((value) => value !== undefined);
    const problems: string[] = [];
    // A dependents tag outside the nine read (`-1`, `-10`, a typo of the suffix) would drop a dependent silently.
    const unread = Object.keys(tags ?? {}).filter(
      (name) => name.toLowerCase().startsWith(discoveryTags.dependents) && !dependentsTagNames.includes(name.toLowerCase()),
    );
    for (const name of unread) {
      problems.push(
        `tag '${name}' is not read: dependents go into ${discoveryTags.dependents} and ${discoveryTags.dependents}-2 … -9, so this workflow was left out. Fix: move its IDs into one of those tags, or list the workflow in ROTATION_TARGETS.`,
      );
    }
    if (fromSite && dependentsText.length > 0) {
      // A site's tags apply to all its workflows, but a dependent calls one of them.
      problems.push(
        `${discoveryTags.dependents} on a Standard site cannot say which of its workflows a dependent calls, so this workflow was left out. Fix: remove the tag and list the workflow with its dependents in ROTATION_TARGETS.`,
      );
    }
    const entry = {
      workflowId,
      ...(tag(tags, discoveryTags.trigger) !== undefined ? { trigger: tag(tags, discoveryTags.trigger) } : {}),
      ...(tag(tags, discoveryTags.secretName) !== undefined && !fromSite ? { secretName: tag(tags, discoveryTags.secretName) } : {}),
      ...(intervalText !== undefined ? { intervalDays: /^\d+$/.test(intervalText) ? Number(intervalText) : intervalText } : {}),
      ...(dependentsText.length > 0
        ? { dependents: dependentsText.flatMap((value) => value.split(';').map((id) => id.trim())).filter((id) => id !== '') }
        : {}),
    };
    const target =
      problems.length > 0
        ? undefined
        : parseTarget(entry, `discovered ${fromSite ? 'site workflow' : 'workflow'}`, this.defaultIntervalDays, problems);
    if (target) {
      findings.add({ ...target, discoveredIn: scope, ...(fromSite ? { discoveredFromSite: true } : {}) });
      return;
    }
    for (const message of problems) {
      findings.report({
        scope,
        resourceId: scrubSecrets(workflowId),
        operation: 'readTags',
        statusCode: undefined,
        errorCode: 'InvalidTag',
        message,
      });
    }
  }
}

/** A failed request's status, code (Azure's, else `Http<status>` or `RequestFailed`) and first line. */
function describeRestError(error: unknown): { statusCode: number | undefined; errorCode: string; detail: string } {
  const statusCode = isRestError(error) ? error.statusCode : undefined;
  const code = isRestError(error) ? error.code : undefined;
  const firstLine = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
  return {
    statusCode,
    errorCode: code !== undefined && code !== '' ? code : statusCode !== undefined ? `Http${statusCode}` : 'RequestFailed',
    detail: firstLine.length > 300 ? `${firstLine.slice(0, 300)}…` : firstLine,
  };
}

function scopeId(scope: DiscoveryScope): string {
  if (scope.managementGroupId !== undefined) return `/providers/Microsoft.Management/managementGroups/${scope.managementGroupId}`;
  return `/subscriptions/${scope.subscriptionId}${scope.resourceGroupName ? `/resourceGroups/${scope.resourceGroupName}` : ''}`;
}

/** A site's subscription, resource group and name, from its resource ID. */
function taggedSite(id: string, tags: Tags): TaggedSite | undefined {
  const match = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Web\/sites\/([^/]+)$/i.exec(id);
  if (!match) return undefined;
  return { id, subscriptionId: match[1] as string, resourceGroup: match[2] as string, name: match[3] as string, tags };
}

/** Resource Graph's `tags` column: an object of strings, or null for an untagged resource. */
function stringTags(value: unknown): Tags {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/** @azure/arm-appservice's pager keeps each page's nextLink on the page itself. */
function webContinuationToken(page: unknown): string | undefined {
  const token = (page as { continuationToken?: unknown }).continuationToken;
  return typeof token === 'string' && token !== '' ? token : undefined;
}

/** Tag names are case-insensitive in Azure. */
function tag(tags: Tags, name: string): string | undefined {
  if (!tags) return undefined;
  const key = Object.keys(tags).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : tags[key];
}

function isEnabled(tags: Tags): boolean {
  return tag(tags, discoveryTags.enabled)?.trim().toLowerCase() === 'enabled';
}
