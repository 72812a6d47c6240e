import { join } from 'node:path';
import type { RecordedExchange } from '../../emulator/index';
import { scrubSecrets } from '../../src/rotation/scrubSecrets';
import { allowlist, apiVersionStandIns, type AllowlistEntry } from './allowlist';

/**
 * Checks the traffic between sas-rotator and the emulator against Microsoft's published OpenAPI
 * specs (test/openapi/specs, vendored from Azure/azure-rest-api-specs) with `oav`, the validator
 * Microsoft runs on live Azure traffic. Both directions count: a request the spec rejects is a
 * product bug, an answer the spec rejects is an emulator bug. Known gaps between a spec and
 * Microsoft's documentation sit in ./allowlist.ts, each with its source; anything else fails.
 */
export const specsRoot = join(__dirname, 'specs');

/** The spec files, relative to specsRoot. */
export const specFiles = [
  'specification/logic/resource-manager/Microsoft.Logic/stable/2019-05-01/logic.json',
  'specification/web/resource-manager/Microsoft.Web/stable/2023-12-01/WebApps.json',
  'specification/keyvault/data-plane/Secrets/stable/2025-07-01/secrets.json',
  'specification/applicationinsights/data-plane/Monitor.Exporters/preview/v2.1/swagger.json',
  'specification/apimanagement/resource-manager/Microsoft.ApiManagement/stable/2022-08-01/apimnamedvalues.json',
  'specification/monitor/resource-manager/Microsoft.Insights/stable/2021-09-01/actionGroups_API.json',
  'specification/eventgrid/resource-manager/Microsoft.EventGrid/stable/2022-06-15/EventGrid.json',
  'specification/resourcegraph/resource-manager/Microsoft.ResourceGraph/stable/2022-10-01/resourcegraph.json',
];

/** Services with no public OpenAPI spec: counted, not validated (the Flow API's shapes are tied to the seed document). */
const servicesWithoutSpec: Readonly<Record<string, string>> = {
  flow: 'Power Automate Flow API: no public OpenAPI spec',
  identity: 'App Service managed-identity endpoint: no OpenAPI spec',
  logicRuntime: 'Logic Apps runtime (callback URLs): no OpenAPI spec',
};

/** Operations no published spec declares, of services that have one: counted, not validated. */
const operationsWithoutSpec: Readonly<Record<string, string>> = {
  ApiManagementOperationResults_Get:
    "APIM's Azure-AsyncOperation status URL (…/service/{s}/tenant/operationResults/{id}, as example ApiManagementUpdateNamedValue.json 2024-05-01 shows it): in no published spec",
};
/**
 * ARM operations that no published spec declares: counted, not validated. Each is the status monitor of a
 * long-running operation, whose URL the service hands out in `Azure-AsyncOperation` (ARM RPC: the
 * Azure-AsyncOperation resource `{ id, name, status, error }`).
 */
const armOperationsWithoutSpec: ReadonlyArray<{ readonly path: RegExp; readonly reason: string }> = [
  {
    path: /^\/subscriptions\/[^/]+\/providers\/Microsoft\.EventGrid\/locations\/[^/]+\/operationsStatus\/[^/]+$/i,
    reason: 'Event Grid long-running operation status (Azure-AsyncOperation): no spec declares it',
  },
];

export interface ConformanceProblem {
  readonly operationId: string;
  readonly status: number;
  readonly direction: 'request' | 'response';
  readonly code: string;
  readonly path: string;
  /** Scrubbed: no sig, URL or token. */
  readonly message: string;
}

export interface CoverageRow {
  readonly operation: string;
  readonly status: number;
  readonly validated: number;
  readonly skipped: number;
  readonly skipReason?: string;
}

export interface ConformanceReport {
  readonly problems: readonly ConformanceProblem[];
  readonly coverage: readonly CoverageRow[];
}

interface OavIssue {
  readonly code: string;
  readonly message: string;
  readonly pathsInPayload?: readonly string[];
  readonly jsonPathsInPayload?: readonly string[];
}
interface OavResult {
  readonly isSuccessful?: boolean;
  readonly operationInfo?: { readonly operationId?: string };
  readonly errors: readonly OavIssue[];
  readonly runtimeException?: { readonly code: string; readonly message: string };
}
interface OavValidator {
  initialize(): Promise<void>;
  validateLiveRequest(request: unknown, options?: unknown, operationInfo?: unknown): Promise<OavResult>;
  validateLiveResponse(
    response: unknown,
    specOperation: { url: string; method: string },
    options?: unknown,
    operationInfo?: unknown,
  ): Promise<OavResult>;
  readonly operationSearcher: {
    getPotentialOperations(request: unknown): { apiVersion: string; matches: Array<{ operation: { operationId?: string } }> };
  };
}

let validator: Promise<OavValidator> | undefined;

/** One LiveValidator per process: loading the specs takes about a second. */
function loadValidator(): Promise<OavValidator> {
  validator ??= (async () => {
    const { LiveValidator } = require('oav') as { LiveValidator: new (options: object, log: () => void) => OavValidator };
    const live = new LiveValidator(
      {
        directory: specsRoot,
        swaggerPathsPattern: specFiles,
        excludedSwaggerPathsPattern: [],
        git: { shouldClone: false },
        isPathCaseSensitive: false,
        loadValidatorInBackground: false,
        loadValidatorInInitialize: true,
      },
      // oav logs through winston to the console by default; its findings come back as results instead.
      () => undefined,
    );
    await live.initialize();
    return live;
  })();
  return validator;
}

/** Validates every recorded exchange; the report lists what did not conform and what was checked. */
export async function checkConformance(exchanges: readonly RecordedExchange[]): Promise<ConformanceReport> {
  const problems: ConformanceProblem[] = [];
  const coverage = new Map<string, { operation: string; status: number; validated: number; skipped: number; skipReason?: string }>();
  const count = (operation: string, status: number, validated: boolean, skipReason?: string): void => {
    const key = `${operation} ${status}`;
    const row = coverage.get(key) ?? { operation, status, validated: 0, skipped: 0, ...(skipReason ? { skipReason } : {}) };
    if (validated) row.validated += 1;
    else row.skipped += 1;
    coverage.set(key, row);
  };
  const live = exchanges.some((e) => !(e.service in servicesWithoutSpec) && e.status !== 0) ? await loadValidator() : undefined;
  for (const exchange of exchanges) {
    const noSpec =
      servicesWithoutSpec[exchange.service] ??
      operationsWithoutSpec[exchange.operationId] ??
      (exchange.service === 'arm'
        ? armOperationsWithoutSpec.find(({ path }) => path.test(new URL(exchange.url).pathname))?.reason
        : undefined);
    if (noSpec || exchange.status === 0 || !live) {
      count(exchange.operationId, exchange.status, false, noSpec ?? 'connection dropped by an injected fault: no answer');
      continue;
    }
    const { url, operationId } = forValidation(exchange);
    const request = {
      url,
      method: exchange.method,
      headers: exchange.requestHeaders,
      body: parseBody(exchange.requestBody, exchange.requestHeaders),
    };
    const response = {
      statusCode: String(exchange.status),
      headers: exchange.responseHeaders,
      body: parseBody(exchange.responseBody, exchange.responseHeaders),
    };
    const operationInfo = operationId ? explicitOperation(live, url, exchange, operationId) : undefined;
    const requestResult = await live.validateLiveRequest(request, {}, operationInfo?.());
    const responseResult = await live.validateLiveResponse(response, { url, method: exchange.method }, {}, operationInfo?.());
    const specOperation = responseResult.operationInfo?.operationId ?? requestResult.operationInfo?.operationId ?? exchange.operationId;
    // Microsoft.Web reuses Microsoft.Logic's operation IDs for a Standard site's workflows: say which host was checked.
    count(
      /\/providers\/Microsoft\.Web\/sites\/[^/]+\/hostruntime\//i.test(url) ? `${specOperation} (Standard)` : specOperation,
      exchange.status,
      true,
    );
    // A deliberately malformed success (an error body with 200) is what the product must survive,
    // not a shape to check: only its request is.
    const malformedByDesign = exchange.injectedFault && exchange.status >= 200 && exchange.status < 300;
    const checked = malformedByDesign
      ? ([['request', requestResult]] as const)
      : ([
          ['request', requestResult],
          ['response', responseResult],
        ] as const);
    for (const [direction, result] of checked) {
      const issues: Array<{ code: string; path: string; message: string }> = result.errors.map((issue) => ({
        code: issue.code,
        path: issue.jsonPathsInPayload?.[0] ?? issue.pathsInPayload?.[0] ?? '',
        message: issue.message,
      }));
      if (result.runtimeException) issues.push({ code: result.runtimeException.code, path: '', message: result.runtimeException.message });
      for (const issue of issues) {
        if (isAllowed(allowlist, specOperation, direction, exchange.status, issue)) continue;
        // An injected fault may answer with a status the spec does not declare (a gateway's 408, a
        // proxy's 502): its body is still checked, its status is not.
        if (direction === 'response' && exchange.injectedFault && issue.code === 'INVALID_RESPONSE_CODE') continue;
        problems.push({
          operationId: specOperation,
          status: exchange.status,
          direction,
          code: issue.code,
          path: issue.path,
          message: scrubSecrets(issue.message).slice(0, 400),
        });
      }
    }
  }
  return { problems, coverage: [...coverage.values()].sort(byOperationAndStatus) };
}

/**
 * The URL as oav can match it, and the operation where oav cannot tell it (tool quirks, each named):
 * - Application Insights carries its version in the path (`/v2.1/track`), oav looks for an `api-version` query;
 * - Key Vault's `GET /secrets/{name}/versions` also matches `GET /secrets/{name}/{version}`;
 * - the SDK reads the latest version as `GET /secrets/{name}/` (empty version), which oav cannot match;
 * - an api-version whose spec is not vendored is validated against its stand-in (./allowlist.ts).
 */
function forValidation(exchange: RecordedExchange): { url: string; operationId?: string } {
  const url = new URL(exchange.url);
  let operationId: string | undefined;
  if (exchange.service === 'appInsights' && !url.searchParams.has('api-version')) {
    url.searchParams.set('api-version', url.pathname.split('/')[1] ?? '');
  }
  if (exchange.service === 'keyVault') {
    if (/^\/secrets\/[^/]+\/versions\/?$/i.test(url.pathname) && exchange.method === 'GET') operationId = 'GetSecretVersions';
    if (/^\/secrets\/[^/]+\/$/i.test(url.pathname) && exchange.method === 'GET') {
      url.pathname = `${url.pathname}latest`;
      operationId = 'GetSecret';
    }
  }
  const version = url.searchParams.get('api-version');
  for (const standIn of apiVersionStandIns) {
    if (version === standIn.sent && standIn.service === exchange.service && standIn.pathIncludes.test(url.pathname)) {
      url.searchParams.set('api-version', standIn.validatedAgainst);
    }
  }
  return { url: url.toString(), ...(operationId ? { operationId } : {}) };
}

function explicitOperation(live: OavValidator, url: string, exchange: RecordedExchange, operationId: string): () => unknown {
  const { parseValidationRequest } = require('oav/dist/lib/liveValidation/liveValidator') as {
    parseValidationRequest: (url: string, method: string, headers?: object) => unknown;
  };
  const validationRequest = parseValidationRequest(url, exchange.method, exchange.requestHeaders);
  const potential = live.operationSearcher.getPotentialOperations(validationRequest);
  const operationMatch = potential.matches.find((match) => match.operation.operationId === operationId);
  // A fresh context per call: oav writes into it.
  return () => (operationMatch ? { apiVersion: potential.apiVersion, operationId, validationRequest, operationMatch } : undefined);
}

function parseBody(text: string | undefined, headers: Readonly<Record<string, string>>): unknown {
  if (text === undefined) return undefined;
  if (!/json/i.test(headers['content-type'] ?? '') && !/^\s*[[{]/.test(text)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isAllowed(
  entries: readonly AllowlistEntry[],
  operationId: string,
  direction: 'request' | 'response',
  status: number,
  issue: { code: string; path: string; message: string },
): boolean {
  return entries.some(
    (entry) =>
      entry.operationId === operationId &&
      entry.direction === direction &&
      entry.code === issue.code &&
      (entry.path === undefined || entry.path === issue.path) &&
      (entry.status === undefined || entry.status === status) &&
      (entry.messageMatches === undefined || entry.messageMatches.test(issue.message)),
  );
}

/** Ordinal order, the same on every machine. */
export function byOperationAndStatus(a: CoverageRow, b: CoverageRow): number {
  return a.operation < b.operation ? -1 : a.operation > b.operation ? 1 : a.status - b.status;
}

/** The coverage table, as printed after the suite. */
export function formatCoverage(rows: readonly CoverageRow[]): string {
  const lines = rows.map(
    (row) =>
      `${row.operation.padEnd(48)} ${String(row.status).padStart(3)}  ${String(row.validated).padStart(6)}  ${row.skipped ? `${row.skipped} not validated: ${row.skipReason ?? ''}` : ''}`,
  );
  return [`${'OPERATION'.padEnd(48)} STATUS  PAIRS VALIDATED`, ...lines].join('\n');
}
