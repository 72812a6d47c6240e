import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packagedFiles } from './infra/deploymentPackage';
import { analyzeKql } from './infra/kustoLanguageService';
import { telemetryNameProblems } from './infra/operationsQueries';
import { actionOf } from './infra/rbac';
import { granted } from './infra/workflowKeyRole';
import { armSubscription, recordedExchange } from './support/recordedExchange';
import { checkConformance, specsRoot } from './openapi/OpenApiConformance';

/**
 * Adversarial review of issue 12: each test here failed on the branch as delivered.
 */
const root = join(__dirname, '..');

describe('review 12: the workflow key role', () => {
  it("reaches, of the POST operations Microsoft.Web declares under a site's hostruntime, exactly the known set, each named in security.md", () => {
    // The vendored Microsoft.Web spec itself lists what the wildcard …/hostruntime/webhooks/api/workflows/*/action
    // reaches: besides the two operations sas-rotator needs, WorkflowTriggerHistories_Resubmit (runs the
    // workflow again with a past trigger payload: the very thing notActions means to forbid),
    // WorkflowRuns_Cancel, and WorkflowRunActions(Repetitions)_ListExpressionTraces (reads run inputs and outputs).
    const spec = JSON.parse(
      readFileSync(join(specsRoot, 'specification/web/resource-manager/Microsoft.Web/stable/2023-12-01/WebApps.json'), 'utf8'),
    ) as {
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    const grantedOperations: string[] = [];
    for (const [path, operations] of Object.entries(spec.paths)) {
      if (!/\/hostruntime\//.test(path)) continue;
      for (const [method, operation] of Object.entries(operations)) {
        if (method === 'parameters') continue;
        if (granted(actionOf(method, path))) grantedOperations.push(operation.operationId ?? `${method} ${path}`);
      }
    }
    // No published action exists for Standard's regenerateAccessKey, so the role needs the wildcard,
    // and notActions cannot name unpublished actions: what it reaches beyond the two operations
    // sas-rotator needs is documented (docs/security.md §1) and pinned here, so any growth is seen.
    const beyondWhatIsNeeded = [
      'WorkflowRunActionRepetitions_ListExpressionTraces',
      'WorkflowRunActions_ListExpressionTraces',
      'WorkflowRuns_Cancel',
      'WorkflowTriggerHistories_Resubmit',
      'Workflows_Validate',
    ];
    expect(grantedOperations.sort()).toEqual(
      ['WorkflowTriggers_ListCallbackUrl', 'Workflows_RegenerateAccessKey', ...beyondWhatIsNeeded].sort(),
    );
    const security = readFileSync(join(root, 'docs', 'security.md'), 'utf8');
    for (const operation of beyondWhatIsNeeded) expect(security).toContain(operation);
  });
});

describe('review 12: the deployment package', () => {
  const funcignore = readFileSync(join(root, '.funcignore'), 'utf8');

  it("keeps out what a developer's project folder holds besides the tracked files: the manual zip of docs/deploy.md, logs, local settings variants", () => {
    // docs/deploy.md's manual deployment writes rotator.zip into the project root; the next `azd deploy`
    // would ship it (a stale copy of the whole package). .gitignore ignores *.log (npm-debug.log may hold
    // environment values), and local.settings.*.json variants hold the same secrets as local.settings.json.
    expect(readFileSync(join(root, 'docs', 'deploy.md'), 'utf8')).toMatch(/zip -qr rotator\.zip/);
    const developerFolder = [
      'rotator.zip',
      'npm-debug.log',
      'local.settings.Development.json',
      'local.settings.json.bak',
      '.DS_Store',
      'dist/src/index.js',
    ];
    expect(packagedFiles(funcignore, developerFolder)).toEqual(['dist/src/index.js']);
  });
});

describe('review 12: the KQL check', () => {
  it('reports a customDimensions key the event does not emit when the query reads it through an alias of the column', () => {
    const query =
      'customEvents\n| where name == "SasKeyRotationFailed"\n| extend d = customDimensions\n| project timestamp, step = tostring(d.stepName)';
    expect(analyzeKql(query).diagnostics).toEqual([]);
    // Refused rather than followed: an alias, bag_unpack or tostring(customDimensions) would hide the keys.
    expect(telemetryNameProblems(analyzeKql(query))).toEqual([expect.stringMatching(/^customDimensions is used whole/)]);
    const unpacked = 'customEvents\n| where name == "SasKeyRotationFailed"\n| evaluate bag_unpack(customDimensions)';
    expect(telemetryNameProblems(analyzeKql(unpacked))).toEqual([expect.stringMatching(/^customDimensions is used whole/)]);
  });
});

describe('review 12: the OpenAPI coverage table', () => {
  it("tells Microsoft.Logic's Workflows_RegenerateAccessKey (Consumption) from Microsoft.Web's (Standard)", async () => {
    const report = await checkConformance([
      recordedExchange(), // Consumption's regenerateAccessKey
      recordedExchange({
        url: `https://127.0.0.1:1/subscriptions/${armSubscription}/resourceGroups/rg/providers/Microsoft.Web/sites/s1/hostruntime/runtime/webhooks/workflow/api/management/workflows/w1/regenerateAccessKey?api-version=2024-04-01`,
      }),
    ]);
    expect(report.problems).toEqual([]);
    // One row per spec operation: a reader must see that the Standard host's calls were validated at all.
    expect(report.coverage).toHaveLength(2);
  }, 30_000);
});
