import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { loadTelemetrySettings, type Environment } from './config';
import type { RotationTelemetry } from '../rotation/ports';

/** One client per process and connection string, as for valid settings: the SDK's clients are not cheap to make. */
let cached: { readonly key: string; readonly telemetry: RotationTelemetry } | undefined;

/**
 * Records events when the app settings are invalid, so that a function that cannot rotate anything
 * is still seen by the alerts: only the telemetry settings are read, and nothing is recorded when
 * they are invalid too (the function's own logs then carry the problems).
 */
export async function recordWithoutSettings(env: Environment, record: (telemetry: RotationTelemetry) => void): Promise<void> {
  const settings = loadTelemetrySettings(env);
  if (!settings?.appInsightsConnectionString) {
    return;
  }
  const key = JSON.stringify(settings);
  if (cached?.key !== key) {
    const entra = settings.appInsightsEntraAuthentication;
    const credential = entra?.clientId
      ? new ManagedIdentityCredential({ clientId: entra.clientId })
      : entra
        ? new DefaultAzureCredential()
        : undefined;
    // Loaded here, not at the top: this path is rare, and the SDK is large.
    const { AppInsightsRotationTelemetry } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('../azure/appInsights/AppInsightsRotationTelemetry') as typeof import('../azure/appInsights/AppInsightsRotationTelemetry');
    cached = { key, telemetry: new AppInsightsRotationTelemetry(settings.appInsightsConnectionString, undefined, credential) };
  }
  record(cached.telemetry);
  await cached.telemetry.flush();
}
