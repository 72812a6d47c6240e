import { isPlainObject, jsonResponse, Rejection, type EmulatorRequest, type EmulatorResponse } from '../EmulatorExchange';
import type { ArmApiVersionPolicy } from '../logic/ArmFrontDoor';
import { armRequestObject, parseArmResourcePath, resourceNotFound, resourceOperation } from '../logic/armResources';
import type { ArmOperation, ArmResourceProvider } from '../logic/ArmRouter';
import { receiverKinds, withReadOnlyFields, emptyReceivers, type ActionGroupsState, type StoredActionGroup } from './ActionGroupsState';

interface InsightsRoute extends ArmOperation {
  readonly resourceGroup: string;
  readonly actionGroupName: string;
}

function resolveRoute(method: string, pathname: string): InsightsRoute | undefined {
  const path = parseArmResourcePath(pathname, 'Microsoft.Insights/actionGroups');
  if (!path || path.kind !== 'resource' || path.segments.length > 0) return undefined;
  const base = { subscriptionId: path.subscriptionId, resourceGroup: path.resourceGroup, actionGroupName: path.name };
  return resourceOperation(method, { GET: 'ActionGroups_Get', PUT: 'ActionGroups_CreateOrUpdate', PATCH: 'ActionGroups_Update' }, base);
}

/**
 * The Microsoft.Insights resource provider behind ARM, action groups only (api-version 2021-09-01): GET, PUT (a
 * whole replacement, 200 or 201, not long-running, no ETag) and PATCH (tags and `enabled` only).
 *
 * Errors: what ARM answers (authentication, api-version, throttling, a missing resource group, a missing action
 * group) is ARM's `{ "error": { code, message } }`; the provider's own validation errors are the flat
 * `{ code, message }` the 2021-09-01 spec declares (its local ErrorResponse). The service has been seen answering
 * that flat shape (with `Code`/`Message` capitalised, MicrosoftDocs/azure-docs#37405, 2019); the emulator keeps the
 * spec's spelling, which the SDK maps to RestError.code.
 */
export class MicrosoftInsightsProvider implements ArmResourceProvider<InsightsRoute> {
  readonly namespace = 'Microsoft.Insights';
  readonly apiVersions: ArmApiVersionPolicy = { supported: ['2019-06-01', '2021-09-01', '2022-04-01', '2022-06-01', '2023-01-01'] };

  constructor(private readonly state: ActionGroupsState) {}

  readonly route = resolveRoute;

  handle(request: EmulatorRequest, route: InsightsRoute): EmulatorResponse {
    const id = `/subscriptions/${route.subscriptionId}/resourceGroups/${route.resourceGroup}/providers/Microsoft.Insights/actionGroups/${route.actionGroupName}`;
    const existing = this.state.find(id);
    if (route.operationId === 'ActionGroups_CreateOrUpdate') return this.createOrUpdate(request, route, existing);
    if (!existing) return resourceNotFound('microsoft.insights/actiongroups', route.actionGroupName, route.resourceGroup);
    if (route.operationId === 'ActionGroups_Update') return this.patch(request, existing);
    return jsonResponse(200, actionGroupResource(existing));
  }

  private createOrUpdate(request: EmulatorRequest, route: InsightsRoute, existing: StoredActionGroup | undefined): EmulatorResponse {
    const body = armRequestObject(request, providerError);
    if (body instanceof Rejection) return body.response;
    if (typeof body['location'] !== 'string' || body['location'] === '')
      return providerError('LocationIsNullOrEmpty', 'Location is required.');
    const properties = isPlainObject(body['properties']) ? body['properties'] : undefined;
    if (!properties) return providerError('PropertiesIsNullOrEmpty', 'The action group properties are required.');
    const groupShortName = properties['groupShortName'];
    if (typeof groupShortName !== 'string' || groupShortName === '') {
      return providerError('GroupShortNameIsNullOrEmpty', 'The group short name is required.');
    }
    if (groupShortName.length > 12) return providerError('GroupShortNameIsTooLong', 'The group short name must be 12 characters or fewer.');
    const receivers = emptyReceivers();
    const names = new Set<string>();
    for (const kind of receiverKinds) {
      const given = properties[kind];
      if (given === undefined || given === null) continue;
      if (!Array.isArray(given)) return providerError('InvalidRequestContent', `${kind} must be an array.`);
      for (const receiver of given) {
        if (!isPlainObject(receiver)) return providerError('InvalidRequestContent', `Each of ${kind} must be an object.`);
        const name = receiver['name'];
        if (kind !== 'automationRunbookReceivers' && (typeof name !== 'string' || name === '')) {
          return providerError(`${receiverLabel(kind)}NameIsNullOrEmpty`, `${receiverLabel(kind)}NameIsNullOrEmpty`);
        }
        if (typeof name === 'string') {
          if (names.has(name.toLowerCase())) return providerError('ReceiverNameIsNotUnique', `The receiver name '${name}' is not unique.`);
          names.add(name.toLowerCase());
        }
        if (kind === 'logicAppReceivers') {
          for (const field of ['resourceId', 'callbackUrl']) {
            if (typeof receiver[field] !== 'string' || receiver[field] === '') {
              const label = `LogicAppReceiver${field[0]?.toUpperCase() ?? ''}${field.slice(1)}IsNullOrEmpty`;
              return providerError(label, label);
            }
          }
        }
        receivers[kind].push(withReadOnlyFields(kind, { ...receiver }));
      }
    }
    this.state.store({
      id:
        existing?.id ??
        `/subscriptions/${route.subscriptionId}/resourceGroups/${route.resourceGroup}/providers/Microsoft.Insights/actionGroups/${route.actionGroupName}`,
      subscriptionId: route.subscriptionId,
      resourceGroup: route.resourceGroup,
      name: existing?.name ?? route.actionGroupName,
      // location is create-only: an update keeps the group's.
      location: existing?.location ?? body['location'],
      tags: isPlainObject(body['tags']) ? (body['tags'] as Record<string, string>) : {},
      groupShortName,
      enabled: properties['enabled'] !== false,
      receivers,
      writes: (existing?.writes ?? 0) + 1,
    });
    const stored = this.state.find(
      `/subscriptions/${route.subscriptionId}/resourceGroups/${route.resourceGroup}/providers/Microsoft.Insights/actionGroups/${route.actionGroupName}`,
    );
    return jsonResponse(existing ? 200 : 201, actionGroupResource(stored as StoredActionGroup));
  }

  private patch(request: EmulatorRequest, group: StoredActionGroup): EmulatorResponse {
    const body = armRequestObject(request, providerError);
    if (body instanceof Rejection) return body.response;
    if (isPlainObject(body['tags'])) group.tags = body['tags'] as Record<string, string>;
    const properties = isPlainObject(body['properties']) ? body['properties'] : {};
    if (typeof properties['enabled'] === 'boolean') group.enabled = properties['enabled'];
    return jsonResponse(200, actionGroupResource(group));
  }
}

/** The provider's own error: flat, as the 2021-09-01 spec's ErrorResponse declares. */
function providerError(code: string, message: string): EmulatorResponse {
  return jsonResponse(400, { code, message });
}

function receiverLabel(kind: string): string {
  const singular = kind.replace(/s$/, '');
  return `${singular[0]?.toUpperCase() ?? ''}${singular.slice(1)}`;
}

/** ActionGroupResource as the service answers it (the examples spell the namespace of `id` in lower case). */
export function actionGroupResource(group: StoredActionGroup): unknown {
  return {
    id: `/subscriptions/${group.subscriptionId}/resourceGroups/${group.resourceGroup}/providers/microsoft.insights/actionGroups/${group.name}`,
    type: 'Microsoft.Insights/ActionGroups',
    name: group.name,
    location: group.location,
    tags: group.tags,
    properties: {
      groupShortName: group.groupShortName,
      enabled: group.enabled,
      ...Object.fromEntries(receiverKinds.map((kind) => [kind, group.receivers[kind]])),
    },
  };
}
