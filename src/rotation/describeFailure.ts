import { ensureErrorType } from './ensureErrorType';
import type { RotationStep } from './RotationStep';
import { scrubSecrets } from './scrubSecrets';
import type { TargetFailure } from './TargetFailure';
import { TargetRotationError } from './TargetRotationError';

/** Describes what went wrong at `step`, keeping Azure's status code and error code. */
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
