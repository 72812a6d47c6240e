import { Buffer } from 'buffer';
import {
  azureError,
  header,
  isPlainObject,
  jsonObjectBody,
  jsonResponse,
  Rejection,
  type EmulatorRequest,
  type EmulatorResponse,
} from '../EmulatorExchange';
import type { ArmApiVersionPolicy } from '../logic/ArmFrontDoor';
import type { ArmOperation, ArmResourceProvider } from '../logic/ArmRouter';
import type { ConsumptionWorkflowsState } from '../logic/ConsumptionWorkflowsState';
import type { StandardWorkflowsState } from '../logic/StandardWorkflowsState';
import type { ResourceGraphState } from './ResourceGraphState';

/**
 * The queries the emulator evaluates: the texts sas-rotator sends for a management-group scope
 * (src/azure/logicApps/ArmTargetDiscovery.ts `managementGroupDiscoveryQuery` and
 * `managementGroupSubscriptionsQuery`; a test keeps each pair equal). This is no KQL engine: any other query
 * is refused as Resource Graph refuses a query it cannot run.
 */
export const supportedDiscoveryQuery =
  "resources | where type =~ 'microsoft.logic/workflows' or (type =~ 'microsoft.web/sites' and kind contains 'workflowapp') | where tags contains 'sas-rotation' | project id, type, kind, tags | order by id asc";

/** The subscriptions a management group holds, nested groups included: what a fan-out worker asks. */
export const supportedSubscriptionsQuery =
  "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' | project subscriptionId | order by subscriptionId asc";

/** Which rows each supported query answers with. */
type SupportedQuery = 'taggedResources' | 'subscriptions';

const supportedQueries: ReadonlyMap<string, SupportedQuery> = new Map([
  [supportedDiscoveryQuery, 'taggedResources'],
  [supportedSubscriptionsQuery, 'subscriptions'],
]);

/** Resource Graph's page size when `options.$top` is absent (Learn, "Working with large Azure resource data sets": 100). */
const defaultPageSize = 100;

interface ResourceGraphRoute extends ArmOperation {
  readonly operationId: 'Resources';
}

interface ResourceRow {
  readonly id: string;
  readonly type: string;
  readonly kind: string;
  readonly tags: Readonly<Record<string, string>> | null;
}

interface SubscriptionRow {
  readonly subscriptionId: string;
}

/** What a `$skipToken` stands for: the query and scope it pages, and where the next page starts. */
interface SkipToken {
  readonly query: SupportedQuery;
  readonly managementGroup: string;
  readonly offset: number;
}

/**
 * Azure Resource Graph's `Resources` operation (`POST /providers/Microsoft.ResourceGraph/resources`,
 * api-version 2022-10-01, spec test/openapi/specs/…/resourcegraph.json), for management-group queries only,
 * over the subscriptions a seeded management group holds (`ResourceGraphState.addManagementGroup`): their
 * Consumption workflows and Standard sites (`resources`), or the subscriptions themselves (`resourcecontainers`,
 * one `subscriptionId` column). Pages with `$skipToken` (`options.$top` rows, default 100),
 * answers `data` as objectArray with `count`, `totalRecords` and `resultTruncated`, and throttles per user
 * (the token's `oid`) with Resource Graph's quota headers and a 429 when the quota is used up.
 */
export class MicrosoftResourceGraphProvider implements ArmResourceProvider<ResourceGraphRoute> {
  readonly namespace = 'Microsoft.ResourceGraph';
  readonly apiVersions: ArmApiVersionPolicy = { supported: ['2019-04-01', '2021-03-01', '2022-10-01', '2024-04-01'] };

  constructor(
    private readonly state: ResourceGraphState,
    private readonly consumption: ConsumptionWorkflowsState,
    private readonly standard: StandardWorkflowsState,
  ) {}

  route(method: string, pathname: string): ResourceGraphRoute | undefined {
    if (method !== 'POST' || !/^\/providers\/Microsoft\.ResourceGraph\/resources\/?$/i.test(pathname)) return undefined;
    return { operationId: 'Resources', subscriptionId: '' };
  }

  handle(request: EmulatorRequest): EmulatorResponse {
    const quota = this.state.take(userOf(request));
    const quotaHeaders = {
      'x-ms-user-quota-remaining': String(quota.remaining),
      'x-ms-user-quota-resets-after': formatResetsAfter(quota.resetsAfterMs),
    };
    if (!quota.granted) {
      // The error code and message are the emulator's choice (not checked against a recorded answer); the headers are Learn's.
      return azureError(
        429,
        'RateLimiting',
        'Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed. Please see https://aka.ms/resourcegraph-throttling for help.',
        { headers: quotaHeaders },
      );
    }
    const answer = this.answer(request);
    answer.headers = { ...(answer.headers ?? {}), ...quotaHeaders };
    return answer;
  }

  private answer(request: EmulatorRequest): EmulatorResponse {
    const body = jsonObjectBody(request, {
      notJson: () => badRequest('InvalidRequestContent', 'The request content was invalid and could not be deserialized.'),
      notObject: () => badRequest('InvalidRequestContent', 'The request content must be a JSON object.'),
    });
    if (body instanceof Rejection) return body.response;
    const query = typeof body['query'] === 'string' ? supportedQueries.get(body['query']) : undefined;
    if (query === undefined) {
      return badRequest(
        'InvalidQuery',
        'Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying.',
      );
    }
    const groups = body['managementGroups'];
    if (body['subscriptions'] !== undefined || !Array.isArray(groups) || groups.length !== 1 || typeof groups[0] !== 'string') {
      return badRequest('InvalidScope', 'The emulator evaluates a query over exactly one management group (managementGroups: [<id>]).');
    }
    const managementGroup = groups[0];
    const subscriptions = this.state.subscriptionsOf(managementGroup);
    if (!subscriptions) {
      // The real service's detail code for a group that does not exist or is not visible was not verified; the shape is the spec's.
      return badRequest(
        'ManagementGroupNotFound',
        `Management group '${managementGroup}' was not found or the caller has no access to it.`,
      );
    }
    const options = body['options'] === undefined ? {} : body['options'];
    if (!isPlainObject(options)) return badRequest('InvalidRequestContent', 'options must be an object.');
    const top = options['$top'] ?? defaultPageSize;
    if (typeof top !== 'number' || !Number.isInteger(top) || top < 1 || top > 1000) {
      return badRequest('InvalidRequestContent', 'options.$top must be an integer from 1 to 1000.');
    }
    if (options['resultFormat'] !== undefined && options['resultFormat'] !== 'objectArray') {
      return badRequest('InvalidRequestContent', 'The emulator answers resultFormat objectArray only.');
    }
    let offset = 0;
    if (options['$skipToken'] !== undefined) {
      const token = typeof options['$skipToken'] === 'string' ? decodeSkipToken(options['$skipToken']) : undefined;
      if (!token || token.query !== query || token.managementGroup.toLowerCase() !== managementGroup.toLowerCase()) {
        return badRequest('InvalidSkipToken', 'The $skipToken is invalid for this query and scope.');
      }
      offset = token.offset;
    }
    const rows = query === 'subscriptions' ? subscriptionRows(subscriptions) : this.resourceRows(subscriptions);
    const page = rows.slice(offset, offset + top);
    const next = offset + page.length < rows.length ? encodeSkipToken({ query, managementGroup, offset: offset + page.length }) : undefined;
    return jsonResponse(200, {
      totalRecords: rows.length,
      count: page.length,
      resultTruncated: next !== undefined ? 'true' : 'false',
      ...(next !== undefined ? { $skipToken: next } : {}),
      data: page,
      facets: [],
    });
  }

  /** The discovery query's rows: its two type filters, `tags contains 'sas-rotation'` (case-insensitive), ordered by id. */
  private resourceRows(subscriptions: readonly string[]): ResourceRow[] {
    const rows: ResourceRow[] = [];
    for (const subscriptionId of subscriptions) {
      for (const workflow of this.consumption.list(subscriptionId)) {
        rows.push({ id: workflow.id, type: 'microsoft.logic/workflows', kind: '', tags: tagsColumn(workflow.tags) });
      }
      for (const site of this.standard.listSites(subscriptionId)) {
        if (!site.kind.toLowerCase().includes('workflowapp')) continue;
        rows.push({ id: site.id, type: 'microsoft.web/sites', kind: site.kind, tags: tagsColumn(site.tags) });
      }
    }
    return rows
      .filter((row) => row.tags !== null && JSON.stringify(row.tags).toLowerCase().includes('sas-rotation'))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}

/** The subscriptions query's rows, ordered by subscriptionId. */
function subscriptionRows(subscriptions: readonly string[]): SubscriptionRow[] {
  return [...subscriptions].sort().map((subscriptionId) => ({ subscriptionId }));
}

/** Resource Graph's error body (the spec's ErrorResponse): a generic code, the specific one in `details`. */
function badRequest(detailCode: string, message: string): EmulatorResponse {
  return jsonResponse(400, {
    error: {
      code: 'BadRequest',
      message: 'Please provide below info when asking for support: timestamp, correlationId.',
      details: [{ code: detailCode, message }],
    },
  });
}

function tagsColumn(tags: Readonly<Record<string, string>>): Readonly<Record<string, string>> | null {
  return Object.keys(tags).length === 0 ? null : { ...tags };
}

/** The caller whose quota a query spends: the bearer token's `oid` (ARM's front door already verified the token). */
function userOf(request: EmulatorRequest): string {
  const token = /^Bearer\s+(\S+)$/i.exec(header(request, 'authorization') ?? '')?.[1];
  try {
    const claims = JSON.parse(Buffer.from(token?.split('.')[1] ?? '', 'base64url').toString('utf8')) as { oid?: unknown };
    return typeof claims.oid === 'string' ? claims.oid : 'anonymous';
  } catch {
    return 'anonymous';
  }
}

function formatResetsAfter(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
}

function encodeSkipToken(token: SkipToken): string {
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

function decodeSkipToken(text: string): SkipToken | undefined {
  try {
    const token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<SkipToken>;
    if (
      (token.query !== 'taggedResources' && token.query !== 'subscriptions') ||
      typeof token.managementGroup !== 'string' ||
      typeof token.offset !== 'number' ||
      !Number.isInteger(token.offset) ||
      token.offset < 0
    ) {
      return undefined;
    }
    return { query: token.query, managementGroup: token.managementGroup, offset: token.offset };
  } catch {
    return undefined;
  }
}
