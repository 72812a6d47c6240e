import type { TargetFailure } from './TargetFailure';

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
