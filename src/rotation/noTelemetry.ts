import type { RotationTelemetry } from './ports';

/** Records nothing: without an Application Insights connection string, and for read-only `status`. */
export const noTelemetry: RotationTelemetry = {
  trackTargetRotated: () => undefined,
  trackTargetFailed: () => undefined,
  trackDiscoveryFailed: () => undefined,
  trackDependentUpdated: () => undefined,
  trackDependentFailed: () => undefined,
  trackRun: () => undefined,
  flush: async () => undefined,
};
