import type { RotationStep } from './RotationStep';

/** A scrubbed description of why one target failed, safe to log, record and print. */
export interface TargetFailure {
  readonly step: RotationStep;
  readonly statusCode?: number;
  readonly code?: string;
  readonly message: string;
}
