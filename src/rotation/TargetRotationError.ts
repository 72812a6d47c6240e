import type { RotationStep } from './RotationStep';
import { ensureErrorType } from './ensureErrorType';
import { scrubSecrets } from './scrubSecrets';

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

/** Describes what went wrong at `step`, keeping Azure's status code and error code. */
export function describeFailure(step: RotationStep, thrown: unknown): TargetFailure {
  if (thrown instanceof TargetRotationError) {
    return thrown.failure;
  }
  const error = ensureErrorType(thrown);
  const details = error as { statusCode?: unknown; code?: unknown };
  const statusCode = typeof details.statusCode === 'number' ? details.statusCode : undefined;
  const code = typeof details.code === 'string' ? details.code : undefined;
  const message = scrubSecrets(firstLine(error.message) || error.name);
  return {
    step,
    ...(statusCode !== undefined ? { statusCode } : {}),
    ...(code !== undefined ? { code } : {}),
    message,
  };
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}
