import type { RotatorSettings } from './config';
import { createRotationServices, type RotationServices } from './createRotationServices';

let cached: { readonly key: string; readonly services: RotationServices } | undefined;

/**
 * Dependencies are built once per process and reused across timer invocations (token caches,
 * connection pools); they are rebuilt only if the settings changed.
 */
export function servicesFor(settings: RotatorSettings): RotationServices {
  const key = JSON.stringify([settings.resourceManagerEndpoint, settings.keyVaultUri, settings.appInsightsConnectionString]);
  if (cached?.key !== key) {
    cached = { key, services: createRotationServices(settings) };
  }
  return cached.services;
}

/** Sends any telemetry still buffered and releases the clients, e.g. when the host shuts the worker down. */
export async function closeProcessServices(): Promise<void> {
  const services = cached?.services;
  cached = undefined;
  await services?.close();
}
