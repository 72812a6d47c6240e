import { LogicManagementClient } from '@azure/arm-logic';
import type { TokenCredential } from '@azure/identity';
import { azureRetryClientOptions, defaultRetrySettings, type RetrySettings } from '../azureRetryPolicy';
import { parseTarget, type DiscoveryScope } from '../config';
import type { OperationOptions } from '../rotation/ports';
import type { RotationTarget } from '../rotation/RotationTarget';
import { scrubSecrets } from '../rotation/scrubSecrets';

/** DESIGN §4: the tags that put a workflow (or a whole Standard site) under rotation. */
export const discoveryTags = {
  enabled: 'sas-rotation',
  secretName: 'sas-rotation-secret',
  trigger: 'sas-rotation-trigger',
  intervalDays: 'sas-rotation-interval-days',
} as const;

export interface DiscoveryResult {
  readonly targets: readonly RotationTarget[];
  /** Tagged resources that could not become targets, and scopes that could not be listed. */
  readonly problems: readonly string[];
}

type Tags = Readonly<Record<string, string>> | undefined;

/**
 * Finds targets by tag in ARM scopes: Consumption workflows tagged `sas-rotation: enabled`, and
 * Logic Apps Standard sites so tagged (each of their workflows is a target). The policy lives on
 * the workflow; tag values go through the same validation as listed targets.
 */
export class ArmTargetDiscovery {
  constructor(
    private readonly credential: TokenCredential,
    private readonly resourceManagerEndpoint: string,
    private readonly defaultIntervalDays: number,
    private readonly retry: RetrySettings = defaultRetrySettings,
  ) {}

  async discover(scopes: readonly DiscoveryScope[], options: OperationOptions = {}): Promise<DiscoveryResult> {
    const targets: RotationTarget[] = [];
    const problems: string[] = [];
    for (const scope of scopes) {
      const where = `/subscriptions/${scope.subscriptionId}${scope.resourceGroupName ? `/resourceGroups/${scope.resourceGroupName}` : ''}`;
      try {
        await this.discoverConsumption(scope, targets, problems, options);
      } catch (error) {
        problems.push(`ROTATION_DISCOVERY ${where}: listing Logic Apps workflows failed (${describe(error)}).`);
      }
      try {
        await this.discoverStandard(scope, targets, problems, options);
      } catch (error) {
        problems.push(`ROTATION_DISCOVERY ${where}: listing Logic Apps Standard sites failed (${describe(error)}).`);
      }
    }
    return { targets, problems };
  }

  private async discoverConsumption(scope: DiscoveryScope, targets: RotationTarget[], problems: string[], options: OperationOptions): Promise<void> {
    const client = new LogicManagementClient(this.credential, scope.subscriptionId, { endpoint: this.resourceManagerEndpoint, ...azureRetryClientOptions(this.retry) });
    const workflows = scope.resourceGroupName
      ? client.workflows.listByResourceGroup(scope.resourceGroupName, { abortSignal: options.abortSignal })
      : client.workflows.listBySubscription({ abortSignal: options.abortSignal });
    for await (const workflow of workflows) {
      if (workflow.id && isEnabled(workflow.tags)) {
        this.addTarget(workflow.id, workflow.tags, false, targets, problems);
      }
    }
  }

  private async discoverStandard(scope: DiscoveryScope, targets: RotationTarget[], problems: string[], options: OperationOptions): Promise<void> {
    // Loaded on demand, as in the gateway: most estates have no Standard sites.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { WebSiteManagementClient } = require('@azure/arm-appservice') as typeof import('@azure/arm-appservice');
    const client = new WebSiteManagementClient(this.credential, scope.subscriptionId, {
      endpoint: this.resourceManagerEndpoint,
      apiVersion: '2024-04-01',
      credentials: { scopes: [`${this.resourceManagerEndpoint}/.default`] },
      ...azureRetryClientOptions(this.retry),
    });
    const sites = scope.resourceGroupName
      ? client.webApps.listByResourceGroup(scope.resourceGroupName, { abortSignal: options.abortSignal })
      : client.webApps.list({ abortSignal: options.abortSignal });
    for await (const site of sites) {
      if (!site.id || !site.name || !/workflowapp/i.test(site.kind ?? '') || !isEnabled(site.tags)) continue;
      const resourceGroup = /\/resourceGroups\/([^/]+)\//i.exec(site.id)?.[1];
      if (!resourceGroup) continue;
      for await (const workflow of client.webApps.listWorkflows(resourceGroup, site.name, { abortSignal: options.abortSignal })) {
        const workflowName = workflow.name?.split('/').pop();
        if (workflowName) {
          this.addTarget(`${site.id}/workflows/${workflowName}`, site.tags, true, targets, problems);
        }
      }
    }
  }

  private addTarget(workflowId: string, tags: Tags, fromSite: boolean, targets: RotationTarget[], problems: string[]): void {
    const intervalText = tag(tags, discoveryTags.intervalDays);
    const entry = {
      workflowId,
      ...(tag(tags, discoveryTags.trigger) !== undefined ? { trigger: tag(tags, discoveryTags.trigger) } : {}),
      ...(tag(tags, discoveryTags.secretName) !== undefined && !fromSite ? { secretName: tag(tags, discoveryTags.secretName) } : {}),
      ...(intervalText !== undefined ? { intervalDays: /^\d+$/.test(intervalText) ? Number(intervalText) : intervalText } : {}),
    };
    const target = parseTarget(entry, `discovered ${fromSite ? 'site workflow' : 'workflow'}`, this.defaultIntervalDays, problems);
    if (target) {
      targets.push(fromSite ? { ...target, discoveredFromSite: true } : target);
    }
  }
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

function describe(error: unknown): string {
  const { statusCode, code, message } = error as { statusCode?: number; code?: string; message?: string };
  return scrubSecrets([statusCode, code, message?.split('\n')[0]].filter((part) => part !== undefined).join(' '));
}
