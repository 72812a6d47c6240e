import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Functions host loads the worker module `@azure/functions-core`; outside the host it does not
 * exist, so we provide it and capture what the app registers.
 */
const registrations: Array<{
  name: string;
  trigger: { type: string; schedule?: string; queueName?: string; connection?: string };
  bindings: Record<string, unknown>;
}> = [];
jest.mock(
  '@azure/functions-core',
  () => ({
    registerFunction: (metadata: { name: string; bindings: Record<string, { type: string; schedule?: string; direction: string }> }) => {
      const trigger = Object.values(metadata.bindings).find((b) => b.direction === 'in' && b.type.endsWith('Trigger'));
      registrations.push({ name: metadata.name, trigger: trigger as { type: string; schedule?: string }, bindings: metadata.bindings });
      return { dispose: () => undefined };
    },
    registerHook: () => ({ dispose: () => undefined }),
    setProgrammingModel: () => undefined,
    getProgrammingModel: () => undefined,
  }),
  { virtual: true },
);

function loadFunctionsModule(env: Record<string, string | undefined>): void {
  registrations.length = 0;
  const saved = process.env.ROTATION_SCHEDULE;
  if (env.ROTATION_SCHEDULE === undefined) delete process.env.ROTATION_SCHEDULE;
  else process.env.ROTATION_SCHEDULE = env.ROTATION_SCHEDULE;
  try {
    jest.isolateModules(() => {
      require('../../src/functions/rotateSasKeys');
    });
  } finally {
    if (saved === undefined) delete process.env.ROTATION_SCHEDULE;
    else process.env.ROTATION_SCHEDULE = saved;
  }
}

describe('rotateSasKeys registration', () => {
  it('registers one timer function whose schedule is the ROTATION_SCHEDULE app setting', () => {
    loadFunctionsModule({ ROTATION_SCHEDULE: '0 30 2 * * *' });
    expect(registrations).toHaveLength(1);
    expect(registrations[0]?.name).toBe('rotateSasKeys');
    expect(registrations[0]?.trigger).toMatchObject({ type: 'timerTrigger', schedule: '%ROTATION_SCHEDULE%' });
  });

  it('falls back to the documented default schedule when the setting is absent (the host would refuse an unknown %setting%)', () => {
    loadFunctionsModule({ ROTATION_SCHEDULE: undefined });
    expect(registrations[0]?.trigger).toMatchObject({ type: 'timerTrigger', schedule: '0 0 3 * * *' });
  });

  it('keeps functionTimeoutMs in step with host.json, so the deadline fires before the host kills the run', () => {
    let functionTimeoutMs = 0;
    jest.isolateModules(() => {
      functionTimeoutMs = require('../../src/composition/invocationLimits').functionTimeoutMs;
    });
    const host = JSON.parse(readFileSync(join(__dirname, '..', '..', 'host.json'), 'utf8')) as {
      functionTimeout: string;
      extensionBundle: { version: string };
    };
    const [hours, minutes, seconds] = host.functionTimeout.split(':').map(Number) as [number, number, number];
    expect(((hours * 60 + minutes) * 60 + seconds) * 1000).toBe(functionTimeoutMs);
    expect(host.extensionBundle.version).toBe('[4.*, 5.0.0)');
  });

  it('registers the fan-out queue function on the sas-rotation-targets queue of AzureWebJobsStorage, with host.json retrying it maxDequeueCount times', () => {
    registrations.length = 0;
    let maxDequeueCount = 0;
    jest.isolateModules(() => {
      maxDequeueCount = require('../../src/functions/rotateSasKeyFromQueue').maxDequeueCount;
    });
    const queue = registrations.find((r) => r.name === 'rotateSasKeyFromQueue');
    expect(queue?.trigger).toMatchObject({ type: 'queueTrigger', queueName: 'sas-rotation-targets', connection: 'AzureWebJobsStorage' });
    const host = JSON.parse(readFileSync(join(__dirname, '..', '..', 'host.json'), 'utf8')) as {
      extensions: { queues: { maxDequeueCount: number } };
    };
    expect(host.extensions.queues.maxDequeueCount).toBe(maxDequeueCount);
  });
});
