import { MonitorClient, type ActionGroupResource, type LogicAppReceiver } from '@azure/arm-monitor';
import { armClientsPerSubscription, type ArmConnection } from '../core/armClients';
import { isTriggerUrl, parseCallbackUrl, type CallbackUrl } from '../../rotation/CallbackUrl';
import { holdingFormOf, type Dependent, type DependentHolding } from '../../rotation/Dependent';
import { TargetRotationError } from '../../rotation/failures';
import type { DependentGateway, OperationOptions } from '../../rotation/ports';
import type { RotationTarget } from '../../rotation/RotationTarget';

const actionGroupIdPattern = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Insights\/actionGroups\/([^/]+)$/i;

/**
 * Azure Monitor action groups (`actionGroup` dependents) through @azure/arm-monitor 7.0.0 (api-version
 * 2021-09-01). The group's Logic App receivers whose `resourceId` is the target's workflow hold its callback URL
 * whole (GET returns it, sig included). An update is GET, change those receivers' `callbackUrl`, PUT the whole
 * group: PATCH cannot change receivers, and action groups have no ETag, so a change made by someone else between
 * the GET and the PUT is lost (last writer wins).
 */
export class ActionGroupDependents implements DependentGateway {
  private readonly client: (subscriptionId: string) => MonitorClient;

  constructor(connection: ArmConnection) {
    this.client = armClientsPerSubscription(MonitorClient, connection);
  }

  async read(dependent: Dependent, target: RotationTarget, options: OperationOptions = {}): Promise<DependentHolding> {
    const group = await this.get(dependent, options);
    const receivers = receiversFor(dependent, group, target);
    const holdings = receivers.map((receiver) => {
      const holding = holdingFormOf(receiver.callbackUrl);
      if (!holding || holding.form !== 'url') {
        throw new TargetRotationError({
          step: 'dependents',
          code: 'DependentValueUnrecognized',
          message:
            `Logic App receiver '${receiver.name}' of action group ${dependent.resourceId} holds a callback URL without a sig ` +
            `(not a Logic Apps trigger URL signed with an access key). Fix: set the receiver to the workflow's trigger, ` +
            `or remove the action group from the target's dependents.`,
        });
      }
      return holding;
    });
    return { form: 'url', sigs: holdings.map((holding) => holding.sig), endpoints: holdings.map((holding) => holding.endpoint) };
  }

  async update(dependent: Dependent, target: RotationTarget, url: CallbackUrl, options: OperationOptions = {}): Promise<void> {
    const { subscriptionId, resourceGroupName, actionGroupName } = parseActionGroupId(dependent);
    const group = await this.get(dependent, options);
    const receivers = receiversFor(dependent, group, target);
    for (const receiver of receivers) receiver.callbackUrl = url.value;
    // The whole group goes back: PUT replaces it (read-only fields are not sent by the SDK).
    await this.client(subscriptionId).actionGroups.createOrUpdate(resourceGroupName, actionGroupName, group, {
      abortSignal: options.abortSignal,
    });
  }

  private async get(dependent: Dependent, options: OperationOptions): Promise<ActionGroupResource> {
    const { subscriptionId, resourceGroupName, actionGroupName } = parseActionGroupId(dependent);
    return this.client(subscriptionId).actionGroups.get(resourceGroupName, actionGroupName, { abortSignal: options.abortSignal });
  }
}

function parseActionGroupId(dependent: Dependent): { subscriptionId: string; resourceGroupName: string; actionGroupName: string } {
  const match = actionGroupIdPattern.exec(dependent.resourceId);
  if (!match) {
    throw new TargetRotationError({
      step: 'dependents',
      code: 'DependentIdInvalid',
      message: `${dependent.resourceId} is not an action group ID. Fix: use /subscriptions/<guid>/resourceGroups/<rg>/providers/Microsoft.Insights/actionGroups/<group>.`,
    });
  }
  const [, subscriptionId = '', resourceGroupName = '', actionGroupName = ''] = match;
  return { subscriptionId, resourceGroupName, actionGroupName };
}

/** The group's Logic App receivers for the target's workflow (ARM IDs compare without regard to case); none is a misconfiguration. */
function receiversFor(dependent: Dependent, group: ActionGroupResource, target: RotationTarget): LogicAppReceiver[] {
  const all = group.logicAppReceivers ?? [];
  // The workflow's receivers for this trigger: a receiver of the same workflow whose URL is signed for
  // another of its triggers belongs to that trigger (another target, or nobody's) and is left alone.
  const forTrigger = (receiver: LogicAppReceiver): boolean => {
    const url = parseCallbackUrl(receiver.callbackUrl);
    return url === undefined || isTriggerUrl(url, target.trigger);
  };
  const mine = all.filter((receiver) => receiver.resourceId.toLowerCase() === target.workflowId.toLowerCase() && forTrigger(receiver));
  if (mine.length > 0) return mine;
  const others =
    all.length === 0
      ? 'it has no Logic App receivers'
      : `its Logic App receivers (${all.map((receiver) => `'${receiver.name}'`).join(', ')}) call other workflows`;
  throw new TargetRotationError({
    step: 'dependents',
    code: 'DependentHasNoReceiver',
    message:
      `Action group ${dependent.resourceId} has no Logic App receiver for workflow ${target.workflowId}: ${others}. ` +
      `Fix: add a Logic App receiver for the workflow to the action group (its resourceId must be the workflow's ID), ` +
      `or remove the action group from the target's dependents.`,
  });
}
