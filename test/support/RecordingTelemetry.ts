import type {
  DependentFailedEvent,
  DependentUpdatedEvent,
  DiscoveryFailedEvent,
  RotationRunEvent,
  RotationTelemetry,
  TargetFailedEvent,
  TargetRotatedEvent,
} from '../../src/rotation/ports';

export class RecordingTelemetry implements RotationTelemetry {
  readonly rotated: TargetRotatedEvent[] = [];
  readonly failed: TargetFailedEvent[] = [];
  readonly runs: RotationRunEvent[] = [];
  readonly discoveryFailed: DiscoveryFailedEvent[] = [];
  readonly dependentsUpdated: DependentUpdatedEvent[] = [];
  readonly dependentsFailed: DependentFailedEvent[] = [];
  flushes = 0;
  trackTargetRotated(event: TargetRotatedEvent): void {
    this.rotated.push(event);
  }
  trackTargetFailed(event: TargetFailedEvent): void {
    this.failed.push(event);
  }
  trackDiscoveryFailed(event: DiscoveryFailedEvent): void {
    this.discoveryFailed.push(event);
  }
  trackDependentUpdated(event: DependentUpdatedEvent): void {
    this.dependentsUpdated.push(event);
  }
  trackDependentFailed(event: DependentFailedEvent): void {
    this.dependentsFailed.push(event);
  }
  trackRun(event: RotationRunEvent): void {
    this.runs.push(event);
  }
  async flush(): Promise<void> {
    this.flushes++;
  }
}
