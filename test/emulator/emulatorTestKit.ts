/**
 * What the emulator's own fidelity tests (test/emulator) share beyond `useEmulator`
 * (test/support/emulatorEnvironment.ts): the way they start it, raw requests the SDKs cannot send,
 * the shape of a listCallbackUrl answer, and the comparison with Microsoft's reference examples.
 */
import * as http from 'http';
import * as https from 'https';
import type { AzureEmulator } from '../../emulator/index';
import { useEmulator, type EmulatorEnvironmentScope, type TestEmulatorOptions } from '../support/emulatorEnvironment';

/**
 * `useEmulator` as a fidelity test wants it: without the conformance check, since these tests send on
 * purpose what no Azure client sends, and with `environment` pointing this jest worker at it (`managedIdentity`
 * for the SDKs' ManagedIdentityCredential, `none` for raw requests only).
 */
export function useFidelityEmulator(
  environment: Exclude<EmulatorEnvironmentScope, 'all'>,
  options: Omit<TestEmulatorOptions, 'conformanceCheck'> = {},
): AzureEmulator {
  return useEmulator({ ...options, conformanceCheck: false, environment });
}

export interface EmulatorAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  /** The parsed JSON body; undefined when the body is empty. */
  readonly body: unknown;
}

export interface CallOptions {
  readonly token?: string;
  /** A Buffer or string is sent as is, anything else as JSON. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** A raw request, for what the SDKs cannot send (a body on the trigger listCallbackUrl, a missing api-version). */
export function callEmulator(method: string, url: string, options: CallOptions = {}): Promise<EmulatorAnswer> {
  const target = new URL(url);
  const payload =
    options.body === undefined
      ? undefined
      : Buffer.isBuffer(options.body)
        ? options.body
        : Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
  const headers: Record<string, string> = { accept: 'application/json', ...(options.headers ?? {}) };
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  if (payload) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(payload.length);
  }
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(target, { method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text, body: text === '' ? undefined : JSON.parse(text) });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(payload);
  });
}

/** What every listCallbackUrl answers (ARM's WorkflowTriggerCallbackUrl; the Flow API's is alike). */
export interface CallbackUrlBody {
  readonly value: string;
  readonly method: string;
  readonly basePath: string;
  readonly queries: Record<string, string>;
}

export interface ShapeOptions {
  /** JSON paths (like `$.properties.integrationAccount`) that the reference has but an emulator answer may omit. */
  readonly optional?: readonly string[];
  /** JSON paths the emulator may add (documented fields the example happens not to show). */
  readonly extra?: readonly string[];
}

/**
 * Asserts that `actual` has the reference's shape: the same keys, recursively, with the same JSON types.
 * An empty object in the reference is a free-form map (tags, parameters, triggers); arrays compare their items
 * with the reference's first item.
 */
export function expectSameShape(actual: unknown, reference: unknown, options: ShapeOptions = {}, path = '$'): void {
  const problems: string[] = [];
  collectShapeProblems(actual, reference, options, path, problems);
  if (problems.length > 0) throw new Error(`Shape differs from the reference:\n  ${problems.join('\n  ')}`);
}

function collectShapeProblems(actual: unknown, reference: unknown, options: ShapeOptions, path: string, problems: string[]): void {
  const kind = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
  if (kind(actual) !== kind(reference)) {
    problems.push(`${path}: expected ${kind(reference)}, got ${kind(actual)}`);
    return;
  }
  if (Array.isArray(reference) && Array.isArray(actual)) {
    if (reference.length > 0 && actual.length === 0) problems.push(`${path}: expected items, got an empty array`);
    if (reference.length > 0) actual.forEach((item) => collectShapeProblems(item, reference[0], options, `${path}[]`, problems));
    return;
  }
  if (kind(reference) !== 'object') return;
  const referenceObject = reference as Record<string, unknown>;
  const actualObject = actual as Record<string, unknown>;
  if (Object.keys(referenceObject).length === 0) return;
  for (const key of Object.keys(referenceObject)) {
    const childPath = `${path}.${key}`;
    if (!(key in actualObject)) {
      if (!options.optional?.includes(childPath)) problems.push(`${childPath}: missing`);
      continue;
    }
    collectShapeProblems(actualObject[key], referenceObject[key], options, childPath, problems);
  }
  for (const key of Object.keys(actualObject)) {
    const childPath = `${path}.${key}`;
    if (!(key in referenceObject) && !options.extra?.includes(childPath)) problems.push(`${childPath}: not in the reference`);
  }
}
