import type { EmulatorService } from '../../emulator/index';

/**
 * Known gaps between the published OpenAPI specs and what Azure does as Microsoft documents it. Each
 * entry names its source; an oav finding that no entry covers fails the suite.
 */
export interface AllowlistEntry {
  readonly operationId: string;
  readonly direction: 'request' | 'response';
  /** oav's issue code. */
  readonly code: string;
  /** JSON path in the payload; undefined for any. */
  readonly path?: string;
  /** Only for exchanges answered with this status. */
  readonly status?: number;
  /** Only when oav's message matches (e.g. the value it rejected). */
  readonly messageMatches?: RegExp;
  readonly reason: string;
  readonly source: string;
}

export const allowlist: readonly AllowlistEntry[] = [
  ...['SetSecret', 'UpdateSecret'].map((operationId): AllowlistEntry => ({
    operationId,
    direction: 'request',
    code: 'MISSING_REQUIRED_PARAMETER',
    path: '.body',
    status: 401,
    reason:
      "Key Vault's challenge-based authentication: until the client knows the vault's authority, it sends a write without its body, gets 401 with the challenge, and resends the write with its body and a token",
    source:
      '@azure/keyvault-common keyVaultAuthenticationPolicy (request.body = null on the unauthenticated first request); Learn, "Azure Key Vault authentication: authentication flow"',
  })),
  ...[
    'WebApps_List',
    'WebApps_ListByResourceGroup',
    'WebApps_Get',
    'WebApps_ListWorkflows',
    'WorkflowTriggers_ListCallbackUrl',
    'Workflows_RegenerateAccessKey',
  ].map((operationId): AllowlistEntry => ({
    operationId,
    direction: 'request',
    code: 'PATTERN',
    path: '.path.resourceGroupName',
    messageMatches: /: \S*[^\p{ASCII}]\S*$/u,
    reason:
      "resource group names may hold Unicode letters and digits. The spec's pattern ^[-\\w\\._\\(\\)]+[^\\.]$ is .NET's, where \\w is Unicode; oav evaluates it as JavaScript, where \\w is ASCII. Only names with non-ASCII characters are allowed through",
    source:
      'Learn, "Naming rules and restrictions for Azure resources" (Microsoft.Resources/resourcegroups: underscores, hyphens, periods, parentheses, and letters or digits as defined by the Char.IsLetterOrDigit function)',
  })),
  ...['ActionGroups_Get', 'ActionGroups_CreateOrUpdate', 'ActionGroups_Update'].map((operationId): AllowlistEntry => ({
    operationId,
    direction: 'response',
    code: 'OBJECT_ADDITIONAL_PROPERTIES',
    path: '$.error',
    reason:
      "Microsoft.Insights 2021-09-01 declares only the action-group provider's own flat { code, message }; what ARM answers in front of it (authentication, throttling, api-version, missing resource group or resource, server errors) is ARM's { error: { code, message } }",
    source:
      'Azure/azure-resource-manager-rpc v1.0/common-api-details.md, "Error Response Content"; azure-openapi-validator rule DefaultErrorResponseSchema (the default error schema SHOULD be that one)',
  })),
  {
    operationId: 'EventSubscriptions_Get',
    direction: 'request',
    code: 'INVALID_CONTENT_TYPE',
    status: 200,
    reason:
      "the last GET of a long-running PATCH (after Azure-AsyncOperation said Succeeded) is sent with the PATCH's operation spec minus its body, so it carries the PATCH's Content-Type: application/json on a bodiless GET",
    source: '@azure/arm-eventgrid 14.1.0 dist/index.js, LroImpl.sendPollRequest (spreads the PATCH spec, drops only requestBody)',
  },
  {
    operationId: 'track',
    direction: 'response',
    code: 'INVALID_RESPONSE_CODE',
    status: 401,
    reason:
      'with local authentication disabled, ingestion refuses a request without a valid Entra token with 401; the v2.1 spec declares only 200, 206, 400, 402, 429, 500 and 503',
    source:
      'Learn, "Microsoft Entra authentication for Application Insights" (troubleshooting: HTTP 401 when the token is missing or invalid)',
  },
  {
    operationId: 'track',
    direction: 'response',
    code: 'INVALID_RESPONSE_CODE',
    status: 403,
    reason: 'ingestion refuses a token of an identity without Monitoring Metrics Publisher with 403; not declared by the v2.1 spec',
    source: 'Learn, "Microsoft Entra authentication for Application Insights" (troubleshooting: HTTP 403)',
  },
];

/**
 * Traffic at an api-version whose spec file could not be vendored here, validated against the
 * nearest vendored version of the same provider (see test/openapi/specs/README.md).
 */
export interface ApiVersionStandIn {
  readonly service: EmulatorService;
  readonly pathIncludes: RegExp;
  readonly sent: string;
  readonly validatedAgainst: string;
  readonly reason: string;
}

export const apiVersionStandIns: readonly ApiVersionStandIn[] = [
  {
    service: 'arm',
    pathIncludes: /\/providers\/Microsoft\.Web\//i,
    sent: '2024-04-01',
    validatedAgainst: '2023-12-01',
    // The operations sas-rotator calls and the workflow definitions they use are identical in both;
    // 2024-04-01 only adds properties to Site (ipMode, endToEndEncryptionEnabled,
    // autoGeneratedDomainNameLabelScope, sku) and a loadBalancing value, which the emulator never sends.
    reason:
      'Microsoft.Web 2024-04-01 (WebApps.json, about 1 MB) could not be brought here whole; test/openapi/specs/WEB-2024-04-01-vs-2023-12-01.md compares the operations used, region by region',
  },
];
