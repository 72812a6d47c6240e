import { scrubSecrets } from './scrubSecrets';

/**
 * The failure vocabulary of the protocol: the step a target failed at, the scrubbed description
 * every report carries, the error the protocol throws to stop a target, and the one function that
 * turns anything thrown into such a description.
 */

/**
 * The step of the protocol (docs/design.md §3) at which a target failed; dashboards group failures by it.
 * `enqueue` is fan-out's hand-off of a target to the queue, before the protocol starts; `dependents`
 * is reading or updating a dependent (§12), including the gate before a regeneration.
 */
export type RotationStep = 'enqueue' | 'readSecret' | 'listBefore' | 'regenerate' | 'listAfter' | 'verify' | 'publish' | 'dependents';

/** A scrubbed description of why one target failed, safe to log, record and print. */
export interface TargetFailure {
  readonly step: RotationStep;
  readonly statusCode?: number;
  readonly code?: string;
  readonly message: string;
}

/**
 * Thrown inside the protocol when a target cannot go on. It carries only scrubbed text: the
 * original SDK error (whose request and response may hold a callback URL) is deliberately dropped.
 */
export class TargetRotationError extends Error {
  readonly failure: TargetFailure;

  constructor(failure: TargetFailure) {
    super(failure.message);
    this.name = 'TargetRotationError';
    this.failure = failure;
  }
}

/**
 * Describes what went wrong at `step`, keeping Azure's status code and error code. The one place
 * the protocol reads an Azure error: structurally (`statusCode`, `code`), which the SDK's
 * `RestError` has, so the protocol needs no SDK import (the adapters use `isRestError`).
 */
export function describeFailure(step: RotationStep, thrown: unknown): TargetFailure {
  if (thrown instanceof TargetRotationError) {
    return thrown.failure;
  }
  const error = ensureErrorType(thrown);
  const details = error as { statusCode?: unknown; code?: unknown };
  const statusCode = typeof details.statusCode === 'number' ? details.statusCode : undefined;
  const message = scrubSecrets(firstLine(error.message) || error.name);
  return { step, ...(statusCode !== undefined ? { statusCode } : {}), code: errorCodeOf(error, details.code, statusCode), message };
}

/**
 * Always a code, so that dashboards and alerts can group every failure: Azure's own when it sent
 * one, else what is known of the failure (a cancelled call, an HTTP status, a network error).
 */
function errorCodeOf(error: Error, code: unknown, statusCode: number | undefined): string {
  if (typeof code === 'string' && code.trim() !== '') {
    return code;
  }
  if (error.name === 'AbortError') {
    // The run's deadline, or the loss of the target's lease, stopped the call.
    return 'Cancelled';
  }
  return statusCode !== undefined ? `Http${statusCode}` : 'RequestFailed';
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}

/** Normalises anything thrown into an Error, so callers can rely on `.message` and `.name`. */
export function ensureErrorType(thrown: unknown): Error {
  if (thrown instanceof Error) {
    return thrown;
  }
  let message: string;
  try {
    message = typeof thrown === 'string' ? thrown : (JSON.stringify(thrown) ?? String(thrown));
  } catch {
    message = String(thrown);
  }
  return new Error(message);
}
