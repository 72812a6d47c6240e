import { createRotationServices } from '../../src/composition/createRotationServices';
import type { CallbackUrlPublication } from '../../src/rotation/ports';
import { resourceGroup, subscriptionId } from '../support/constants';
import { settingsFor, uniqueName, useEmulator } from '../support/emulatorEnvironment';
import { fastRetry } from '../support/fastRetry';

/**
 * Key Vault pacing under a vault's long Retry-After (issue 15's adversarial review), with the real SecretClient through the
 * product's store against the emulator's throttled vault.
 */
const emulator = useEmulator();

const publication = (value: string): CallbackUrlPublication => ({
  value,
  contentType: 'text/uri-list',
  tags: {},
  expiresOn: new Date(Date.now() + 30 * 24 * 3600 * 1000),
});

const settings = () =>
  settingsFor(emulator, [
    {
      workflowId: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Logic/workflows/unused`,
      secretName: 'unused',
    },
  ]);

describe('a long Retry-After from the vault', () => {
  it("one 429 asking for a day fails that publication, but the process's next run publishes again", async () => {
    // The services as the function app keeps them for the life of its process (src/composition/processServices).
    const services = createRotationServices(settings(), { retry: fastRetry, env: {} });
    try {
      const name = uniqueName('long-retry-after');
      // A first publication earns the vault's bearer challenge, so that the fault meets an authenticated request.
      await services.store.publish(`${name}-warm`, publication('https://warm/'));
      emulator.faults.add({ service: 'keyVault', operationId: 'SetSecret', status: 429, retryAfterSeconds: 24 * 3600 });
      // This run: the retry policy will not wait a day, so the publication fails now (expected).
      await expect(services.store.publish(`${name}-a`, publication('https://a/'))).rejects.toMatchObject({ statusCode: 429 });
      // The next run (the vault answers normally again), with a deadline of its own.
      const next = services.store.publish(`${name}-b`, publication('https://b/'), { abortSignal: AbortSignal.timeout(5_000) });
      // Before the fix: the budget holds the vault for the whole day, so this waits for its deadline and aborts; so does every run after it.
      await expect(next).resolves.toMatchObject({ version: expect.stringMatching(/^[0-9a-f]{32}$/) });
    } finally {
      await services.close();
    }
  });
});
