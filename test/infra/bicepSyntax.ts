import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Language, Parser, type Node } from 'web-tree-sitter';

/** Bicep files parsed with the tree-sitter grammar: the offline stand-in for `bicep build`. */
export interface BicepFile {
  readonly path: string;
  readonly text: string;
  readonly root: Node;
}

let parser: Promise<Parser> | undefined;

/** One parser, initialised once: a second concurrent Parser.init() corrupts the WASM runtime. */
function bicepParser(): Promise<Parser> {
  parser ??= (async () => {
    await Parser.init();
    // Bytes, not a path: loading by path makes web-tree-sitter import('fs') dynamically, which jest's VM refuses.
    const language = await Language.load(readFileSync(require.resolve('tree-sitter-bicep/tree-sitter-bicep.wasm')));
    const created = new Parser();
    created.setLanguage(language);
    return created;
  })();
  return parser;
}

export function filesUnder(directory: string, extension: string): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(extension))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

export async function parseBicep(path: string): Promise<BicepFile> {
  const text = readFileSync(path, 'utf8');
  const tree = (await bicepParser()).parse(text);
  if (!tree) throw new Error(`tree-sitter could not parse ${path}`);
  return { path, text, root: tree.rootNode };
}

/** Every node of the tree, depth first. */
export function* walk(node: Node): Generator<Node> {
  yield node;
  for (const child of node.children) {
    if (child) yield* walk(child);
  }
}

/** Syntax errors as "line:column kind" (ERROR and MISSING nodes). */
export function syntaxErrors(file: BicepFile): string[] {
  return [...walk(file.root)]
    .filter((node) => node.isError || node.isMissing)
    .map(
      (node) =>
        `${file.path}:${node.startPosition.row + 1}:${node.startPosition.column + 1} ${node.isMissing ? `missing ${node.type}` : `unexpected '${node.text.slice(0, 40)}'`}`,
    );
}

/** The value of a string literal node without quotes (interpolations kept as written). */
export function stringValue(node: Node | null | undefined): string | undefined {
  if (!node || node.type !== 'string') return undefined;
  return node.text.replace(/^'''|'''$/g, '').replace(/^'|'$/g, '');
}

/** resource declarations whose type string starts with `typePrefix` (e.g. Microsoft.Authorization/roleAssignments). */
export function resourcesOfType(file: BicepFile, typePrefix: string): Node[] {
  return [...walk(file.root)].filter((node) => {
    if (node.type !== 'resource_declaration') return false;
    const type = node.children.find((child) => child?.type === 'string');
    return stringValue(type)?.toLowerCase().startsWith(typePrefix.toLowerCase()) ?? false;
  });
}

/** The direct `object_property` children of an object node, by key. */
export function objectProperties(object: Node | null | undefined): Map<string, Node> {
  const properties = new Map<string, Node>();
  for (const child of object?.children ?? []) {
    if (child?.type !== 'object_property') continue;
    const key = child.children[0];
    const value = child.children[child.children.length - 1];
    if (key && value) properties.set(key.text.replace(/^'|'$/g, ''), value);
  }
  return properties;
}

/** The body object of a resource declaration (the `{…}` after `=`, also inside `if`/`for`). */
export function resourceBody(resource: Node): Node | undefined {
  return [...walk(resource)].find((node) => node.type === 'object' && node.parent !== null && node !== resource);
}
