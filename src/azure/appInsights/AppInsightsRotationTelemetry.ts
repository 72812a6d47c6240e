import type { TokenCredential } from '@azure/identity';
import { TelemetryClient } from 'applicationinsights';
import { azureRetryClientOptions, defaultRetrySettings, type RetrySettings } from '../core/azureRetryPolicy';
import { isLoopbackUrl } from '../core/isLoopbackUrl';
import type {
  DependentFailedEvent,
  DependentUpdatedEvent,
  DiscoveryFailedEvent,
  RotationRunEvent,
  RotationTelemetry,
  TargetFailedEvent,
  TargetRotatedEvent,
} from '../../rotation/ports';
import { scrubSecrets } from '../../rotation/scrubSecrets';
import { telemetryEventNames } from './telemetryEventNames';

/**
 * How long closing waits for Application Insights to take the buffered events, and then for the SDK
 * to shut down: a CLI run ends this long after its result at worst, whatever the network does.
 */
export const telemetryCloseTimeoutInMs = 5_000;

/**
 * Rotation events as Application Insights custom events. The client uses its own providers
 * (`useGlobalProviders: false`), so it neither patches modules nor collides with the Functions
 * host's own telemetry, and collects nothing but what we track.
 */
export class AppInsightsRotationTelemetry implements RotationTelemetry {
  private readonly client: TelemetryClient;
  /** The client sets up its exporters on first use; flushing or shutting down before that throws. */
  private used = false;

  /** @param credential Entra ID credential for ingestion when local authentication is disabled. */
  constructor(connectionString: string, retry: RetrySettings = defaultRetrySettings, credential?: TokenCredential) {
    this.client = new TelemetryClient(connectionString, { useGlobalProviders: false });
    const config = this.client.config;
    // Replaces the shim's exporter options wholesale (a shallow merge), hence the connection string.
    config.azureMonitorOpenTelemetryOptions = {
      azureMonitorExporterOptions: { connectionString, ...azureRetryClientOptions(retry), ...(credential ? { credential } : {}) },
    };
    config.enableAutoCollectRequests = false;
    config.enableAutoCollectDependencies = false;
    config.enableAutoCollectPerformance = false;
    config.enableAutoCollectExceptions = false;
    config.enableAutoCollectConsole = false;
    config.enableAutoCollectExternalLoggers = false;
    config.enableAutoCollectPreAggregatedMetrics = false;
    config.enableAutoCollectHeartbeat = false;
    // Offline retry storage writes to disk and keeps retry timers alive: useful against real
    // ingestion, useless against the loopback emulator, where it would outlive the test process.
    const ingestionEndpoint = /IngestionEndpoint=([^;]+)/i.exec(connectionString)?.[1];
    if (ingestionEndpoint && isLoopbackUrl(ingestionEndpoint)) {
      config.enableUseDiskRetryCaching = false;
    }
  }

  trackTargetRotated(event: TargetRotatedEvent): void {
    this.used = true;
    this.client.trackEvent({
      name: telemetryEventNames.targetRotated,
      properties: {
        workflowId: event.workflowId,
        trigger: event.trigger,
        keyType: event.keyType,
        secretName: event.secretName,
        secretVersion: event.secretVersion,
        oldSigFingerprint: event.oldSigFingerprint,
        newSigFingerprint: event.newSigFingerprint,
        sigChanged: String(event.sigChanged),
        hardCut: String(event.hardCut),
        invocationId: event.invocationId,
      },
      measurements: { durationMs: event.durationMs },
    });
  }

  trackTargetFailed(event: TargetFailedEvent): void {
    this.used = true;
    this.client.trackEvent({
      name: telemetryEventNames.targetFailed,
      properties: {
        workflowId: event.workflowId,
        trigger: event.trigger,
        keyType: event.keyType ?? '',
        step: event.step,
        statusCode: event.statusCode === undefined ? '' : String(event.statusCode),
        errorCode: event.errorCode ?? '',
        message: scrubSecrets(event.message),
        invocationId: event.invocationId,
      },
      measurements: { durationMs: event.durationMs },
    });
  }

  trackDiscoveryFailed(event: DiscoveryFailedEvent): void {
    this.used = true;
    this.client.trackEvent({
      name: telemetryEventNames.discoveryFailed,
      properties: {
        scope: event.scope,
        resourceId: event.resourceId,
        operation: event.operation,
        statusCode: event.statusCode === undefined ? '' : String(event.statusCode),
        errorCode: event.errorCode,
        message: scrubSecrets(event.message),
        invocationId: event.invocationId,
      },
    });
  }

  trackDependentUpdated(event: DependentUpdatedEvent): void {
    this.used = true;
    this.client.trackEvent({
      name: telemetryEventNames.dependentUpdated,
      properties: {
        workflowId: event.workflowId,
        dependentId: event.dependentId,
        dependentKind: event.dependentKind,
        form: event.form,
        oldSigFingerprints: event.oldSigFingerprints,
        newSigFingerprint: event.newSigFingerprint,
        invocationId: event.invocationId,
      },
    });
  }

  trackDependentFailed(event: DependentFailedEvent): void {
    this.used = true;
    this.client.trackEvent({
      name: telemetryEventNames.dependentFailed,
      properties: {
        workflowId: event.workflowId,
        dependentId: event.dependentId,
        dependentKind: event.dependentKind,
        statusCode: event.statusCode === undefined ? '' : String(event.statusCode),
        errorCode: event.errorCode ?? '',
        message: scrubSecrets(event.message),
        invocationId: event.invocationId,
      },
    });
  }

  trackRun(event: RotationRunEvent): void {
    this.used = true;
    this.client.trackEvent({
      name: telemetryEventNames.run,
      properties: { outcome: event.outcome, invocationId: event.invocationId, isPastDue: String(event.isPastDue) },
      measurements: {
        targets: event.targets,
        rotated: event.rotated,
        skipped: event.skipped,
        failed: event.failed,
        discoveryProblems: event.discoveryProblems,
        dependentFailures: event.dependentFailures,
        durationMs: event.durationMs,
      },
    });
  }

  /** Sends the buffered events, waiting at most `telemetryCloseTimeoutInMs`: a run must not hang on telemetry. */
  async flush(): Promise<void> {
    if (this.used) {
      await settlesWithin(this.client.flush(), telemetryCloseTimeoutInMs);
    }
  }

  /**
   * Sends the buffered events and releases the exporters, waiting at most `timeoutInMs` in all.
   * Resolves to a warning (no secret in it) when the SDK did not finish in time: the events may be
   * lost. The SDK keeps events it could not deliver in its offline storage and retries them from the
   * next process that starts it; what it still holds after the wait must not keep this one alive.
   */
  async close(timeoutInMs: number = telemetryCloseTimeoutInMs): Promise<string | undefined> {
    if (!this.used) {
      return undefined;
    }
    const deadline = Date.now() + timeoutInMs;
    if (!(await settlesWithin(this.client.flush(), timeoutInMs))) {
      return `Application Insights did not accept the rotation events within ${timeoutInMs / 1000} s; they may be lost. The run's result above is complete; the events are only its record.`;
    }
    // Shutting down ends the SDK's exporters and metric readers; it cannot cancel everything the SDK
    // started (statsbeat's timer, a request to an endpoint that never answers), hence the bound.
    await settlesWithin(this.client.shutdown(), Math.max(0, deadline - Date.now()));
    return undefined;
  }
}

/** False when `promise` neither resolved nor rejected within `timeoutInMs`. */
async function settlesWithin(promise: Promise<unknown>, timeoutInMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutInMs);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
