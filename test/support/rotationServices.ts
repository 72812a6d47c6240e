import type { RotatorSettings } from '../../src/composition/config';
import { createRotationServices, type RotationServices, type RotationServicesOptions } from '../../src/composition/createRotationServices';
import type { AzureEmulator } from '../../emulator/index';
import { day } from './constants';
import { beforeEmulatorStops } from './emulatorEnvironment';
import { fastRetry } from './fastRetry';

export interface TestRotationServicesOptions extends RotationServicesOptions {
  /** In place of the real one: a RecordingTelemetry, to assert on the events of one test. */
  readonly telemetry?: RotationServices['telemetry'];
  /** In place of the real ones: InMemoryTargetLeases, to lose a lease on cue. */
  readonly leases?: RotationServices['leases'];
}

export interface RotationServicesWithClock {
  readonly services: RotationServices;
  /** Moves the services' clock, which otherwise stands still where it was built: "31 days later" takes no time. */
  advanceDays(days: number): void;
}

export interface TestRotationServices {
  /** The real adapters and SDK clients against the emulator, with the real clock. */
  create(settings: RotatorSettings, options?: TestRotationServicesOptions): RotationServices;
  /** The same with a clock of the test's own. */
  withClock(settings: RotatorSettings, options?: TestRotationServicesOptions): RotationServicesWithClock;
  /** Sends what every services object built here still buffers, before the file checks the envelopes. */
  flushTelemetry(): Promise<void>;
}

/**
 * Builds rotation services for the tests of one file, as the composition root builds them in
 * production, but with short retry waits (`fastRetry`, unless `options.retry` says otherwise), so
 * fault tests do not wait out the production backoff. Every services object is closed in the
 * file's afterAll, before the emulator stops, since closing flushes telemetry to it.
 */
export function useRotationServices(emulator: AzureEmulator): TestRotationServices {
  const opened: RotationServices[] = [];
  beforeEmulatorStops(emulator, () => Promise.all(opened.map((services) => services.close())));

  const create = (settings: RotatorSettings, options: TestRotationServicesOptions = {}): RotationServices => {
    const { telemetry, leases, ...composition } = options;
    const services = createRotationServices(settings, { retry: fastRetry, ...composition });
    opened.push(services);
    return { ...services, ...(telemetry ? { telemetry } : {}), ...(leases ? { leases } : {}) };
  };

  return {
    create,
    withClock(settings, options) {
      const services = create(settings, options);
      let now = Date.now();
      return {
        services: { ...services, now: () => new Date(now) },
        advanceDays: (days) => {
          now += days * day;
        },
      };
    },
    flushTelemetry: async () => {
      await Promise.all(opened.map((services) => services.telemetry.flush()));
    },
  };
}
