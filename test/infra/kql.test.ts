import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { telemetryEventNames } from '../../src/azure/appInsights/telemetryEventNames';
import { analyzeKql, type KqlDiagnostic } from './kustoLanguageService';
import {
  markdownQueries,
  operationsQueries,
  substituteWorkbookParameters,
  telemetryNameProblems,
  workbookQueries,
  type OperationsQuery,
} from './operationsQueries';

/**
 * Every query an operator or Azure Monitor runs (the workbook's tiles, the log alert rules, the KQL of
 * docs/operations.md) parsed and bound by Microsoft's Kusto language service against the classic
 * Application Insights tables, and checked against the telemetry module's event and field names.
 */
let queries: OperationsQuery[];
beforeAll(async () => {
  queries = await operationsQueries();
});

const describeDiagnostic = (d: KqlDiagnostic): string => `${d.severity} ${d.code} at ${d.line}:${d.column} '${d.text}': ${d.message}`;

const diagnosticsOf = (query: string, severity?: string): string[] =>
  analyzeKql(query)
    .diagnostics.filter((d) => severity === undefined || d.severity === severity)
    .map(describeDiagnostic);

const alertRuleQuery = (): string => {
  const query = queries.find((q) => q.source === 'rotation-alerts.bicep' && q.query.includes(`"${telemetryEventNames.targetFailed}"`));
  if (!query) throw new Error('the failed-target alert rule is missing');
  return query.query;
};

describe('operations KQL, checked by the Kusto language service', () => {
  it('finds the queries of the workbook, the four alert rules and docs/operations.md', () => {
    const count = (prefix: string): number => queries.filter((q) => q.source.startsWith(prefix)).length;
    expect({
      workbook: count('rotation-workbook.json'),
      alerts: count('rotation-alerts.bicep'),
      docs: count('docs/operations.md'),
    }).toEqual({
      workbook: 10,
      alerts: 4,
      docs: 10,
    });
  });

  it('every query parses and binds against the Application Insights schema with no diagnostic at all', () => {
    // An error means Azure Monitor rejects or misreads the query. No query has a warning or a suggestion
    // today either, so a new one is a change to look at, not noise to filter.
    const findings = queries.flatMap(({ source, query }) => diagnosticsOf(query).map((d) => `${source}: ${d}`));
    expect(findings).toEqual([]);
  });

  it('every alert rule splits only by columns its query returns', () => {
    // A dimension the result does not have makes the rule fail at evaluation, and the alert never fires.
    const alerts = queries.filter((q) => q.alertDimensions !== undefined);
    expect(alerts).toHaveLength(4);
    for (const { query, alertDimensions } of alerts) {
      const columns = analyzeKql(query).resultColumns;
      expect(columns).toEqual(expect.arrayContaining(['timestamp', ...(alertDimensions ?? [])]));
    }
  });

  it('every query uses only the event names, customDimensions and customMeasurements keys the telemetry module emits', () => {
    const problems = queries.flatMap(({ source, query }) =>
      telemetryNameProblems(analyzeKql(query)).map((problem) => `${source}: ${problem}`),
    );
    expect(problems).toEqual([]);
  });

  it('has a query for each event, and alerts on each event that means a due target was not rotated, part of the estate was not seen, or a dependent was left behind', () => {
    for (const name of Object.values(telemetryEventNames)) {
      expect({ name, queried: queries.some((q) => q.query.includes(`"${name}"`)) }).toEqual({ name, queried: true });
    }
    const alertQueries = queries.filter((q) => q.source === 'rotation-alerts.bicep').map((q) => q.query);
    for (const name of [telemetryEventNames.targetFailed, telemetryEventNames.discoveryFailed, telemetryEventNames.dependentFailed]) {
      expect(alertQueries.filter((query) => query.includes(`name == "${name}"`))).toHaveLength(1);
    }
    // Failed runs (a configuration error records one with no targets) break the "successful run" rule.
    const runRule = alertQueries.find((query) => query.includes(`"${telemetryEventNames.run}"`)) ?? '';
    expect(runRule).toMatch(/outcome in \("Succeeded", "NothingDue", "PartiallyFailed"\)/);
  });
});

describe('the KQL checks can fail', () => {
  it('reports a misspelt column, a syntax error and an unknown table', () => {
    const query = alertRuleQuery();
    expect(diagnosticsOf(query.replace('| project timestamp,', '| project timestmap,'), 'Error')).toEqual([
      expect.stringMatching(/^Error KS142 at 5:11 'timestmap'/),
    ]);
    expect(diagnosticsOf(query.replace('| where name == "SasKeyRotationFailed"', '| where name == '), 'Error')).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Error KS\d+ .*Missing expression/)]),
    );
    expect(diagnosticsOf(query.replace('customEvents', 'customEvent'), 'Error')).toEqual(
      expect.arrayContaining([expect.stringMatching(/KS204 .*'customEvent'/)]),
    );
    // A column of the workspace schema (AppEvents) is not one of the component's classic tables.
    expect(diagnosticsOf(query.replace('| project timestamp,', '| project TimeGenerated,'), 'Error')).toEqual([
      expect.stringMatching(/KS142 .*'TimeGenerated'/),
    ]);
  });

  it('reports an unknown event name, and a key an event does not emit in each way a query can spell it', () => {
    const query = alertRuleQuery();
    const problems = (changed: string): string[] => telemetryNameProblems(analyzeKql(changed));
    expect(problems(query)).toEqual([]);
    expect(problems(query.replace('"SasKeyRotationFailed"', '"SasKeyRotationFailure"'))).toEqual(
      expect.arrayContaining(["unknown event 'SasKeyRotationFailure'"]),
    );
    expect(problems(query.replace('name == "SasKeyRotationFailed"', 'name in ("SasKeyRotationFailed", "SasKeyRotatd")'))).toEqual([
      "unknown event 'SasKeyRotatd'",
    ]);
    expect(problems(query.replace('tostring(customDimensions.step)', 'tostring(customDimensions.stepName)'))).toEqual([
      'customDimensions.stepName is not emitted by SasKeyRotationFailed',
    ]);
    expect(problems(query.replace('customDimensions.errorCode', 'customDimensions["errorcode"]'))).toEqual([
      'customDimensions.errorcode is not emitted by SasKeyRotationFailed',
    ]);
    expect(
      problems(query.replace('statusCode = tostring(customDimensions.statusCode)', "statusCode = customDimensions['status']")),
    ).toEqual(['customDimensions.status is not emitted by SasKeyRotationFailed']);
    expect(problems(query.replace('| project', '| extend d = todouble(customMeasurements.duration)\n| project'))).toEqual([
      'customMeasurements.duration is not emitted by SasKeyRotationFailed',
    ]);
    // A key of another event: SasKeyRotationFailed has no secretName.
    expect(problems(query.replace('customDimensions.step)', 'customDimensions.secretName)'))).toEqual([
      'customDimensions.secretName is not emitted by SasKeyRotationFailed',
    ]);
    expect(problems(query.replace('| where name == "SasKeyRotationFailed"\n', ''))).toEqual(
      expect.arrayContaining(['a customEvents query that does not filter on an event name']),
    );
  });

  it('ignores commented-out KQL and keys of columns made by the query itself', () => {
    const query = `customEvents\n// | where tostring(customDimensions.nope) == ""\n| where name == "SasKeyRotationRun"\n| extend bag = pack("k", 1)\n| extend k = toint(bag.k)`;
    expect(telemetryNameProblems(analyzeKql(query))).toEqual([]);
  });

  it('substitutes workbook parameters as the workbook does, and rejects a parameter the workbook does not declare', () => {
    const parameters = [
      { name: 'TimeRange', type: 4, value: { durationMs: 86400000 } },
      { name: 'IntervalDays', type: 1, value: '30' },
    ];
    const substituted = substituteWorkbookParameters(
      'customEvents | where timestamp {TimeRange} | extend d = toint("{IntervalDays}")',
      parameters,
    );
    expect(substituted).toBe('customEvents | where timestamp > ago(86400000ms) | extend d = toint("30")');
    expect(diagnosticsOf(`${substituted} | where name == "SasKeyRotated"`)).toEqual([]);
    expect(() => substituteWorkbookParameters('customEvents | where timestamp {Timerange}', parameters)).toThrow(/\{Timerange\}/);
    const workbook = readFileSync(join(__dirname, '..', '..', 'infra', 'monitoring', 'rotation-workbook.json'), 'utf8');
    expect(() => workbookQueries(workbook.replace('toint(\\"{IntervalDays}\\")', 'toint(\\"{IntervalDay}\\")'))).toThrow(/\{IntervalDay\}/);
  });

  it('splits a Markdown kusto block into its queries', () => {
    const markdown = '# x\n```kusto\n// first\ncustomEvents\n| take 1\n\n// second\ntraces\n| take 1\n```\n```sh\nls\n```\n';
    expect(markdownQueries(markdown, 'x.md')).toEqual([
      { source: 'x.md: // first', query: '// first\ncustomEvents\n| take 1' },
      { source: 'x.md: // second', query: '// second\ntraces\n| take 1' },
    ]);
  });
});
