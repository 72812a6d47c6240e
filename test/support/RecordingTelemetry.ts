import type {
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
  trackRun(event: RotationRunEvent): void {
    this.runs.push(event);
  }
  async flush(): Promise<void> {
    this.flushes++;
  }
}
