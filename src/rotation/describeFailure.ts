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
