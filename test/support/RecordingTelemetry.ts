import type * as ports from '../../src/rotation/ports';

export class RecordingTelemetry implements ports.RotationTelemetry {
  readonly rotated: ports.TargetRotatedEvent[] = [];
  readonly failed: ports.TargetFailedEvent[] = [];
  readonly runs: ports.RotationRunEvent[] = [];
  readonly discoveryFailed: ports.DiscoveryFailedEvent[] = [];
  readonly dependentsUpdated: ports.DependentUpdatedEvent[] = [];
  readonly dependentsFailed: ports.DependentFailedEvent[] = [];
  flushes = 0;
  trackTargetRotated(event: ports.TargetRotatedEvent): void {
    this.rotated.push(event);
  }
  trackTargetFailed(event: ports.TargetFailedEvent): void {
    this.failed.push(event);
  }
  trackDiscoveryFailed(event: ports.DiscoveryFailedEvent): void {
    this.discoveryFailed.push(event);
  }
  trackDependentUpdated(event: ports.DependentUpdatedEvent): void {
    this.dependentsUpdated.push(event);
  }
  trackDependentFailed(event: ports.DependentFailedEvent): void {
    this.dependentsFailed.push(event);
  }
  trackRun(event: ports.RotationRunEvent): void {
    this.runs.push(event);
  }
  async flush(): Promise<void> {
    this.flushes++;
  }
}
