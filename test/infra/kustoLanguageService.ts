/**
 * The Kusto language service (`@kusto/language-service-next`, Microsoft's own KQL parser and binder) set up
 * with the tables of a classic Application Insights component, which is where the workbook and the alert
 * rules run (their scope is the component, not its workspace).
 *
 * The package is Bridge.NET output: the Bridge runtime must be loaded first, and both files define
 * globals (`Bridge`, `Kusto`) instead of exporting anything, so the minimal surface used here is typed
 * below rather than imported.
 */

interface BridgeList<T> {
  readonly Count: number;
  getItem(index: number): T;
}

interface KustoDiagnostic {
  readonly Severity: string;
  readonly Code: string;
  readonly Message: string;
  readonly Start: number;
  readonly Length: number;
}

interface KustoSymbol {
  readonly Name: string;
  readonly Kind: number;
}

/** A node of the syntax tree; the properties beyond the first five exist only on some node types. */
export interface KustoSyntaxNode {
  readonly ChildCount: number;
  GetChild(index: number): KustoSyntaxNode | null;
  readonly TextStart: number;
  readonly Width: number;
  readonly ReferencedSymbol?: KustoSymbol | null;
  readonly Expression?: KustoSyntaxNode;
  readonly Selector?: KustoSyntaxNode;
  readonly Left?: KustoSyntaxNode;
  readonly Right?: KustoSyntaxNode;
  readonly Operator?: { readonly Text: string };
  readonly LiteralValue?: unknown;
  readonly SimpleName?: string;
}

interface KustoCode {
  GetDiagnostics(): BridgeList<KustoDiagnostic>;
  readonly Syntax: KustoSyntaxNode;
  readonly ResultType: { readonly Columns: BridgeList<{ readonly Name: string }> } | null;
}

interface KustoLanguage {
  Symbols: {
    TableSymbol: { $ctor7: new (name: string, schema: string, description: string) => { readonly Columns: BridgeList<KustoSymbol> } };
    DatabaseSymbol: { ctor: new (name: string, members: unknown[]) => unknown };
  };
  GlobalState: { Default: { WithDatabase(database: unknown): unknown } };
  KustoCode: { ParseAndAnalyze(text: string, globals: unknown): KustoCode };
}

/**
 * Columns of the classic Application Insights tables the queries may use, with their types, as Microsoft
 * documents them in "Migrate to workspace-based Application Insights resources", section "Table schemas"
 * (the "ApplicationInsights" column of each table):
 * https://learn.microsoft.com/azure/azure-monitor/app/convert-classic-resource#table-schemas
 * (MicrosoftDocs/azure-monitor-docs, articles/azure-monitor/app/convert-classic-resource.md).
 */
const common =
  'appId:string, application_Version:string, appName:string, client_Browser:string, client_City:string, client_CountryOrRegion:string, ' +
  'client_IP:string, client_Model:string, client_OS:string, client_StateOrProvince:string, client_Type:string, cloud_RoleInstance:string, ' +
  'cloud_RoleName:string, customDimensions:dynamic, customMeasurements:dynamic, iKey:string, itemCount:int, itemId:string, itemType:string, ' +
  'operation_Id:string, operation_Name:string, operation_ParentId:string, operation_SyntheticSource:string, sdkVersion:string, ' +
  'session_Id:string, timestamp:datetime, user_AccountId:string, user_AuthenticatedId:string, user_Id:string';

export const applicationInsightsTables: Readonly<Record<string, string>> = {
  customEvents: `(${common}, name:string)`,
  traces: `(${common}, message:string, severityLevel:int)`,
  requests: `(${common}, duration:real, id:string, name:string, performanceBucket:string, resultCode:string, source:string, success:string, url:string)`,
  exceptions:
    `(${common}, assembly:string, details:dynamic, handledAt:string, innermostAssembly:string, innermostMessage:string, innermostMethod:string, ` +
    'innermostType:string, message:string, method:string, outerAssembly:string, outerMessage:string, outerMethod:string, outerType:string, ' +
    'problemId:string, severityLevel:int, type:string)',
};

let loaded: { language: KustoLanguage; globals: unknown; columns: Set<KustoSymbol> } | undefined;

function kusto(): { language: KustoLanguage; globals: unknown; columns: Set<KustoSymbol> } {
  if (!loaded) {
    require('@kusto/language-service-next/bridge.js');
    require('@kusto/language-service-next/Kusto.Language.Bridge.js');
    const language = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;
    const tables = Object.entries(applicationInsightsTables).map(
      ([name, schema]) => new language.Symbols.TableSymbol.$ctor7(name, schema, `Application Insights ${name}`),
    );
    const globals = language.GlobalState.Default.WithDatabase(new language.Symbols.DatabaseSymbol.ctor('applicationInsights', tables));
    const columns = new Set<KustoSymbol>();
    for (const table of tables) for (let i = 0; i < table.Columns.Count; i++) columns.add(table.Columns.getItem(i));
    loaded = { language, globals, columns };
  }
  return loaded;
}

export interface KqlDiagnostic {
  readonly severity: string;
  readonly code: string;
  readonly message: string;
  /** 1-based line and column in the query, and the text the diagnostic points at. */
  readonly line: number;
  readonly column: number;
  readonly text: string;
}

export interface AnalyzedKql {
  /** Syntax and semantic diagnostics (unknown columns, tables and functions, type errors). */
  readonly diagnostics: KqlDiagnostic[];
  /** Columns of the query's result; empty when the query does not bind. */
  readonly resultColumns: string[];
  readonly syntax: KustoSyntaxNode;
  /** True when a name reference resolves to a column of one of the tables (not a let or extend of the same name). */
  isTableColumn(node: KustoSyntaxNode | undefined, name: string): boolean;
}

export function analyzeKql(query: string): AnalyzedKql {
  const { language, globals, columns } = kusto();
  const code = language.KustoCode.ParseAndAnalyze(query, globals);
  const found = code.GetDiagnostics();
  const diagnostics: KqlDiagnostic[] = [];
  for (let i = 0; i < found.Count; i++) {
    const d = found.getItem(i);
    const before = query.slice(0, d.Start);
    diagnostics.push({
      severity: d.Severity,
      code: d.Code,
      message: d.Message,
      line: before.split('\n').length,
      column: d.Start - before.lastIndexOf('\n'),
      text: query.substr(d.Start, d.Length),
    });
  }
  const resultColumns: string[] = [];
  for (let i = 0; i < (code.ResultType?.Columns.Count ?? 0); i++) resultColumns.push(code.ResultType?.Columns.getItem(i).Name ?? '');
  return {
    diagnostics,
    resultColumns,
    syntax: code.Syntax,
    // Identity with the table's own symbol: a column made by extend or project under the same name is another symbol.
    isTableColumn: (node, name) => !!node?.ReferencedSymbol && columns.has(node.ReferencedSymbol) && node.ReferencedSymbol.Name === name,
  };
}

/** The Bridge.NET type name of a node, e.g. `Kusto.Language.Syntax.PathExpression`. */
export function typeName(node: KustoSyntaxNode): string {
  return (node.constructor as unknown as { $$name?: string }).$$name ?? '';
}

export function* descendants(node: KustoSyntaxNode | null | undefined): Generator<KustoSyntaxNode> {
  if (!node) return;
  yield node;
  for (let i = 0; i < node.ChildCount; i++) yield* descendants(node.GetChild(i));
}
