import { startTestEmulator } from '../support/emulatorEnvironment';
import { callEmulator, useFidelityEmulator } from './emulatorTestKit';

// Learn, "Azure Key Vault service limits" (https://learn.microsoft.com/azure/key-vault/general/service-limits):
// per vault and region in 10 seconds, CREATE secret 300, all other secret transactions 4,000.
describe('Key Vault secret throttling (token buckets per vault)', () => {
  // Buckets that practically never refill, so that timing cannot matter.
  const emulator = useFidelityEmulator('none', {
    keyVaultThrottle: { create: { capacity: 2, refillPerSecond: 0.001 }, other: { capacity: 3, refillPerSecond: 0.001 } },
  });
  let token: string;
  const secretUrl = (name: string, suffix = '') => `${emulator.keyVaultUri}secrets/${name}${suffix}?api-version=2025-07-01`;

  beforeAll(() => {
    token = emulator.issueAccessToken('https://vault.azure.net');
  });

  it('answers 429 Throttled with Retry-After past the CREATE bucket, and does not count the refusal', async () => {
    const set = (value: string) => callEmulator('PUT', secretUrl('paced'), { token, body: { value } });
    const answers = await Promise.all([set('a'), set('b'), set('c')]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 429]);
    const refusal = answers.find((answer) => answer.status === 429);
    expect(refusal?.body).toEqual({
      error: {
        code: 'Throttled',
        message: 'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached',
      },
    });
    expect(Number(refusal?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number.isInteger(Number(refusal?.headers['retry-after']))).toBe(true);
    // No remaining count: Key Vault sends none (unlike ARM's x-ms-ratelimit-remaining-*).
    expect(Object.keys(refusal?.headers ?? {}).filter((name) => name.includes('ratelimit'))).toEqual([]);
    expect(emulator.keyVault.versions('paced')).toHaveLength(2);
  });

  it('keeps CREATE apart from every other transaction, and does not count unauthenticated probes', async () => {
    // The SDK's first request is a body-less probe without a token: a 401, not a transaction.
    for (let i = 0; i < 5; i++) expect((await callEmulator('GET', secretUrl('paced'))).status).toBe(401);
    const reads = [];
    for (let i = 0; i < 4; i++) reads.push((await callEmulator('GET', secretUrl('paced'), { token })).status);
    expect(reads).toEqual([200, 200, 200, 429]);
    // Listing versions and reading deleted secrets are "other" transactions too.
    expect((await callEmulator('GET', secretUrl('paced', '/versions'), { token })).status).toBe(429);
    expect((await callEmulator('GET', `${emulator.keyVaultUri}deletedsecrets/paced?api-version=2025-07-01`, { token })).status).toBe(429);
  });

  it('answers without Retry-After when told to, as a captured real 429 did', async () => {
    const quiet = await startTestEmulator({
      conformanceCheck: false,
      keyVaultThrottle: {
        create: { capacity: 1, refillPerSecond: 0.001 },
        other: { capacity: 100, refillPerSecond: 1 },
        retryAfter: false,
      },
    });
    try {
      const quietToken = quiet.issueAccessToken('https://vault.azure.net');
      const url = `${quiet.keyVaultUri}secrets/one?api-version=2025-07-01`;
      expect((await callEmulator('PUT', url, { token: quietToken, body: { value: 'a' } })).status).toBe(200);
      const refused = await callEmulator('PUT', url, { token: quietToken, body: { value: 'b' } });
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ error: { code: 'Throttled' } });
      expect(refused.headers['retry-after']).toBeUndefined();
    } finally {
      await quiet.stop();
    }
  });

  it('throttles by default at the published limits, and not at all when switched off', async () => {
    const published = await startTestEmulator({ conformanceCheck: false });
    const unthrottled = await startTestEmulator({ conformanceCheck: false, keyVaultThrottle: false });
    try {
      const burst = async (target: typeof published, count: number) => {
        const burstToken = target.issueAccessToken('https://vault.azure.net');
        const url = `${target.keyVaultUri}secrets/burst?api-version=2025-07-01`;
        const started = performance.now();
        const answers = await Promise.all(
          Array.from({ length: count }, (_, i) => callEmulator('PUT', url, { token: burstToken, body: { value: String(i) } })),
        );
        const granted = answers.filter((answer) => answer.status === 200).length;
        return { granted, throttled: count - granted, seconds: (performance.now() - started) / 1000 };
      };
      // 300 at once, then 30 more per second: however long the burst took, no more got through.
      const atLimits = await burst(published, 400);
      expect(atLimits.granted).toBeGreaterThanOrEqual(300);
      expect(atLimits.granted).toBeLessThanOrEqual(300 + Math.ceil(30 * atLimits.seconds) + 1);
      expect(published.keyVault.versions('burst')).toHaveLength(atLimits.granted);
      expect((await burst(unthrottled, 400)).throttled).toBe(0);
    } finally {
      await published.stop();
      await unthrottled.stop();
    }
  });
});
