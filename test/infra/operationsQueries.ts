import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { telemetryEventMeasurements, telemetryEventNames, telemetryEventProperties } from '../../src/azure/appInsights/telemetryEventNames';
import { objectProperties, parseBicep, stringValue, walk, type BicepFile } from './bicepSyntax';
import { descendants, typeName, type AnalyzedKql, type KustoSyntaxNode } from './kustoLanguageService';

/** A KQL query an operator or Azure Monitor runs, with where it comes from. */
export interface OperationsQuery {
  readonly source: string;
  readonly query: string;
  /** The dimensions a log alert splits by: columns the query's result must have. */
  readonly alertDimensions?: string[];
}

const root = join(__dirname, '..', '..');

interface WorkbookParameter {
  name: string;
  type: number;
  value?: unknown;
}

/**
 * Replaces `{Name}` and `{Name:format}` as the workbook does before it runs a query: a time range parameter
 * (type 4) becomes `> ago(…)` (and its `:start`/`:end` the bounds), any other parameter its value. A
 * reference to a parameter the workbook does not declare is an error: the workbook would not run the query.
 */
export function substituteWorkbookParameters(query: string, parameters: readonly WorkbookParameter[]): string {
  return query.replace(/\{(\w+)(?::(\w+))?\}/g, (whole, name: string, format: string | undefined) => {
    const parameter = parameters.find((p) => p.name === name);
    if (!parameter) throw new Error(`the query uses ${whole}, which is not a parameter of the workbook`);
    if (parameter.type === 4) {
      const durationMs = (parameter.value as { durationMs?: number } | undefined)?.durationMs;
      if (typeof durationMs !== 'number') throw new Error(`time range parameter ${name} has no default duration`);
      const end = new Date('2025-01-31T00:00:00Z');
      if (format === undefined || format === 'query') return `> ago(${durationMs}ms)`;
      if (format === 'start') return new Date(end.getTime() - durationMs).toISOString();
      if (format === 'end') return end.toISOString();
      throw new Error(`unsupported time range format ${whole}`);
    }
    if (format !== undefined) throw new Error(`unsupported parameter format ${whole}`);
    return String(parameter.value ?? '');
  });
}

export function workbookQueries(workbookText: string, source = 'rotation-workbook.json'): OperationsQuery[] {
  const workbook = JSON.parse(workbookText) as unknown;
  const parameters: WorkbookParameter[] = [];
  const queries: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if (record.version === 'KqlParameterItem/1.0' && Array.isArray(record.parameters))
        parameters.push(...(record.parameters as WorkbookParameter[]));
      for (const [key, child] of Object.entries(record)) {
        if (key === 'query' && typeof child === 'string') queries.push(child);
        else visit(child);
      }
    }
  };
  visit(workbook);
  return queries.map((query) => ({ source, query: substituteWorkbookParameters(query, parameters) }));
}

export function alertQueries(alerts: BicepFile, source = 'rotation-alerts.bicep'): OperationsQuery[] {
  return [...walk(alerts.root)]
    .filter((node) => node.type === 'object_property' && node.children[0]?.text === 'query')
    .map((node) => {
      // The criterion object holding the query also holds the dimensions the alert splits by.
      const criterion = objectProperties(node.parent as never);
      const dimensionsNode = criterion.get('dimensions');
      const dimensions = (dimensionsNode ? [...walk(dimensionsNode)] : [])
        .filter((child) => child.type === 'object_property' && child.children[0]?.text === 'name')
        .map((child) => stringValue(child.children[child.children.length - 1]) ?? '');
      return { source, query: stringValue(node.children[node.children.length - 1]) ?? '', alertDimensions: dimensions };
    });
}

/** The ```kusto blocks of a Markdown page, one query per paragraph (queries are separated by a blank line). */
export function markdownQueries(markdown: string, source: string): OperationsQuery[] {
  return [...markdown.matchAll(/```(?:kusto|kql)\n([\s\S]*?)```/g)].flatMap((block) =>
    (block[1] ?? '')
      .split(/\n\s*\n/)
      .map((query) => query.trim())
      .filter((query) => query.split('\n').some((line) => !line.trim().startsWith('//')))
      .map((query) => ({ source: `${source}: ${query.split('\n')[0]}`, query })),
  );
}

/** Every query the workbook, the alert rules and docs/operations.md run. */
export async function operationsQueries(): Promise<OperationsQuery[]> {
  const monitoring = join(root, 'infra', 'monitoring');
  return [
    ...workbookQueries(readFileSync(join(monitoring, 'rotation-workbook.json'), 'utf8')),
    ...alertQueries(await parseBicep(join(monitoring, 'rotation-alerts.bicep'))),
    ...markdownQueries(readFileSync(join(root, 'docs', 'operations.md'), 'utf8'), 'docs/operations.md'),
  ];
}

const eventNames = Object.values(telemetryEventNames) as string[];

function literal(node: KustoSyntaxNode | undefined): string | undefined {
  return node && /LiteralExpression$/.test(typeName(node)) && typeof node.LiteralValue === 'string' ? node.LiteralValue : undefined;
}

/**
 * Event names, customDimensions keys and customMeasurements keys the query uses that the telemetry module
 * does not emit. The language service accepts any key of a dynamic column, so this walks its syntax tree:
 * `customDimensions.key`, `customDimensions["key"]` (wherever they sit, e.g. inside `tostring(…)`), and
 * the string literals compared with the table's `name` column (`==`, `=~`, `!=`, `in`, `in~`, `!in`).
 * Keys must belong to one of the events the query names, not just to some event.
 */
export function telemetryNameProblems(analyzed: AnalyzedKql): string[] {
  const problems: string[] = [];
  const namedEvents = new Set<string>();
  const keys: Array<{ column: 'customDimensions' | 'customMeasurements'; key: string }> = [];
  let queriesCustomEvents = false;
  /** The column references that read one key (`customDimensions.x`, `customDimensions["x"]`). */
  const keyReads = new Set<unknown>();
  const columnReferences: Array<{ node: unknown; column: 'customDimensions' | 'customMeasurements' }> = [];
  for (const node of descendants(analyzed.syntax)) {
    const type = typeName(node);
    if (/NameReference$/.test(type) && node.SimpleName === 'customEvents') queriesCustomEvents = true;
    if (/\.(BinaryExpression|InExpression)$/.test(type) && analyzed.isTableColumn(node.Left, 'name')) {
      const compared = /InExpression$/.test(type) ? [...descendants(node.Right)].map(literal) : [literal(node.Right)];
      for (const name of compared) if (name !== undefined) namedEvents.add(name);
    }
    if (/\.(PathExpression|ElementExpression)$/.test(type)) {
      for (const column of ['customDimensions', 'customMeasurements'] as const) {
        if (!analyzed.isTableColumn(node.Expression, column)) continue;
        keyReads.add(node.Expression);
        const key = /PathExpression$/.test(type) ? (node.Selector?.SimpleName ?? '') : literal(node.Selector?.Expression);
        keys.push({ column, key: key ?? `<not a string literal at ${node.TextStart}>` });
      }
    }
  }
  for (const node of descendants(analyzed.syntax)) {
    if (!/NameReference$/.test(typeName(node))) continue;
    for (const column of ['customDimensions', 'customMeasurements'] as const) {
      if (analyzed.isTableColumn(node, column)) columnReferences.push({ node, column });
    }
  }
  // Read whole (an alias, bag_unpack, tostring of the bag), the keys could not be checked: refuse it.
  for (const { node, column } of columnReferences) {
    if (!keyReads.has(node))
      problems.push(
        `${column} is used whole (aliased, unpacked or converted): read its keys directly, e.g. tostring(${column}.x), so they are checked`,
      );
  }
  for (const name of namedEvents) if (!eventNames.includes(name)) problems.push(`unknown event '${name}'`);
  const known = [...namedEvents].filter((name) => eventNames.includes(name)) as Array<keyof typeof telemetryEventProperties>;
  for (const { column, key } of keys) {
    const emitted = column === 'customDimensions' ? telemetryEventProperties : telemetryEventMeasurements;
    const allowed = new Set<string>(known.flatMap((name) => emitted[name] as readonly string[]));
    if (!allowed.has(key))
      problems.push(`${column}.${key} is not emitted by ${known.length ? known.join(' or ') : 'any event the query names'}`);
  }
  if (queriesCustomEvents && namedEvents.size === 0) problems.push('a customEvents query that does not filter on an event name');
  return problems;
}
