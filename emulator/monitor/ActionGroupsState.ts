import type { ResourceGroups } from '../logic/armResources';
import type { WorkflowHosts } from '../workflowHosts';

/**
 * Azure Monitor action groups (Microsoft.Insights/actionGroups, api-version 2021-09-01): what each holds, its
 * Logic App receivers above all, whose `callbackUrl` GET returns whole (sig included). A PUT replaces the whole
 * group; there is no ETag, so the last writer wins.
 */

export const actionGroupsApiVersion = '2021-09-01';

/** The receiver lists of an ActionGroup, in the order the spec declares them. */
export const receiverKinds = [
  'emailReceivers',
  'smsReceivers',
  'webhookReceivers',
  'itsmReceivers',
  'azureAppPushReceivers',
  'automationRunbookReceivers',
  'voiceReceivers',
  'logicAppReceivers',
  'azureFunctionReceivers',
  'armRoleReceivers',
  'eventHubReceivers',
] as const;

export type ReceiverKind = (typeof receiverKinds)[number];

export interface LogicAppReceiver {
  readonly name: string;
  readonly resourceId: string;
  /** Secret. */
  readonly callbackUrl: string;
  readonly useCommonAlertSchema?: boolean;
}

export interface SeedActionGroupOptions {
  readonly groupShortName?: string;
  readonly enabled?: boolean;
  readonly location?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly logicAppReceivers?: readonly LogicAppReceiver[];
  /** Any other receivers, as the spec spells them (`webhookReceivers: [{ name, serviceUri }]`, …). */
  readonly otherReceivers?: Partial<Record<Exclude<ReceiverKind, 'logicAppReceivers'>, ReadonlyArray<Record<string, unknown>>>>;
}

export interface StoredActionGroup {
  readonly id: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  location: string;
  tags: Record<string, string>;
  groupShortName: string;
  enabled: boolean;
  receivers: Record<ReceiverKind, Array<Record<string, unknown>>>;
  /** How many times a PUT replaced it. */
  writes: number;
}

const idPattern = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Insights\/actionGroups\/([^/]+)$/i;

export class ActionGroupsState {
  private readonly groups = new Map<string, StoredActionGroup>();

  constructor(
    private readonly hosts: WorkflowHosts,
    private readonly resourceGroups: ResourceGroups,
  ) {}

  /** Creates (or replaces) an action group; returns its resource ID. */
  seedActionGroup(resourceId: string, options: SeedActionGroupOptions = {}): string {
    const match = idPattern.exec(resourceId);
    if (!match) throw new Error(`Not an action group ID: ${resourceId}`);
    const [, subscriptionId = '', resourceGroup = '', name = ''] = match;
    const receivers = emptyReceivers();
    for (const kind of receiverKinds) {
      const given = kind === 'logicAppReceivers' ? options.logicAppReceivers : options.otherReceivers?.[kind];
      receivers[kind] = (given ?? []).map((receiver) => withReadOnlyFields(kind, { ...receiver }));
    }
    this.store({
      id: resourceId,
      subscriptionId,
      resourceGroup,
      name,
      location: options.location ?? 'Global',
      tags: { ...(options.tags ?? {}) },
      groupShortName: options.groupShortName ?? name.slice(0, 12),
      enabled: options.enabled ?? true,
      receivers,
      writes: 0,
    });
    return resourceId;
  }

  find(resourceId: string): StoredActionGroup | undefined {
    return this.groups.get(resourceId.toLowerCase());
  }

  /** Stores a group as a PUT left it. */
  store(group: StoredActionGroup): void {
    this.resourceGroups.add(group.subscriptionId, group.resourceGroup);
    this.groups.set(group.id.toLowerCase(), group);
  }

  /** The group's Logic App receivers as stored (callback URLs are secret), optionally only those for one workflow. */
  logicAppReceivers(resourceId: string, workflowId?: string): LogicAppReceiver[] {
    const receivers = this.require(resourceId).receivers.logicAppReceivers as unknown as LogicAppReceiver[];
    return receivers
      .filter((receiver) => workflowId === undefined || receiver.resourceId.toLowerCase() === workflowId.toLowerCase())
      .map((receiver) => ({ ...receiver }));
  }

  /**
   * The oracle: whether every Logic App receiver (of `workflowId`, when given) calls a URL that works right now.
   * A group without such a receiver calls nothing: false.
   */
  urlWorks(resourceId: string, workflowId?: string): boolean {
    const receivers = this.logicAppReceivers(resourceId, workflowId);
    return receivers.length > 0 && receivers.every((receiver) => this.hosts.isCallbackUrlValid(receiver.callbackUrl));
  }

  private require(resourceId: string): StoredActionGroup {
    const group = this.find(resourceId);
    if (!group) throw new Error(`No action group ${resourceId} was seeded`);
    return group;
  }
}

export function emptyReceivers(): Record<ReceiverKind, Array<Record<string, unknown>>> {
  return Object.fromEntries(receiverKinds.map((kind) => [kind, []])) as unknown as Record<ReceiverKind, Array<Record<string, unknown>>>;
}

/**
 * What the service adds to a receiver: `status` (readOnly) on email and SMS receivers; useCommonAlertSchema's default
 * (false) where the createOrUpdateActionGroup example shows it added (event hub receivers) and on Logic App receivers.
 */
export function withReadOnlyFields(kind: ReceiverKind, receiver: Record<string, unknown>): Record<string, unknown> {
  const withStatus = kind === 'emailReceivers' || kind === 'smsReceivers' ? { ...receiver, status: 'Enabled' } : receiver;
  return (kind === 'logicAppReceivers' || kind === 'eventHubReceivers') && withStatus['useCommonAlertSchema'] === undefined
    ? { ...withStatus, useCommonAlertSchema: false }
    : withStatus;
}
