import type { DiscoveryProblem } from './DiscoveryProblem';
import type { KeyType } from './KeyType';
import type { RotationStep } from './RotationStep';

/** A target got a fresh key and its new callback URL was published (`SasKeyRotated`). */
export interface TargetRotatedEvent {
  readonly workflowId: string;
  readonly trigger: string;
  readonly keyType: KeyType;
  readonly secretName: string;
  readonly secretVersion: string;
  readonly oldSigFingerprint: string;
  readonly newSigFingerprint: string;
  readonly sigChanged: boolean;
  /** A single-key host (Power Automate): the previously published URL died at once. */
  readonly hardCut: boolean;
  readonly invocationId: string;
  readonly durationMs: number;
}

/** A target could not be rotated (`SasKeyRotationFailed`). The message is already scrubbed. */
export interface TargetFailedEvent {
  readonly workflowId: string;
  readonly trigger: string;
  readonly keyType: KeyType | undefined;
  readonly step: RotationStep;
  readonly statusCode: number | undefined;
  readonly errorCode: string | undefined;
  readonly message: string;
  readonly invocationId: string;
  readonly durationMs: number;
}

/** Discovery could not see part of a scope, or left a tagged resource out (`SasKeyDiscoveryFailed`). */
export interface DiscoveryFailedEvent extends DiscoveryProblem {
  readonly invocationId: string;
}

export type RunOutcome = 'Succeeded' | 'PartiallyFailed' | 'Failed' | 'NothingDue';

/** Once per run (`SasKeyRotationRun`). */
export interface RotationRunEvent {
  readonly outcome: RunOutcome;
  readonly invocationId: string;
  readonly isPastDue: boolean;
  readonly targets: number;
  readonly rotated: number;
  readonly skipped: number;
  readonly failed: number;
  /** Discovery problems of the run (each also a `SasKeyDiscoveryFailed`); any makes the run incomplete. */
  readonly discoveryProblems: number;
  readonly durationMs: number;
}

/** Where rotations are recorded for dashboards and alerts (Application Insights, or nowhere). */
export interface RotationTelemetry {
  trackTargetRotated(event: TargetRotatedEvent): void;
  trackTargetFailed(event: TargetFailedEvent): void;
  trackDiscoveryFailed(event: DiscoveryFailedEvent): void;
  trackRun(event: RotationRunEvent): void;
  /** Sends everything buffered; a run calls it before it ends. */
  flush(): Promise<void>;
}

export const noTelemetry: RotationTelemetry = {
  trackTargetRotated: () => undefined,
  trackTargetFailed: () => undefined,
  trackDiscoveryFailed: () => undefined,
  trackRun: () => undefined,
  flush: async () => undefined,
};
