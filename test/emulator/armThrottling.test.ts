import { startTestEmulator } from '../support/emulatorEnvironment';
import { callEmulator, useFidelityEmulator } from './emulatorTestKit';

describe('ARM write throttling (token bucket per subscription)', () => {
  const emulator = useFidelityEmulator('none', { armWriteThrottle: { capacity: 3, refillPerSecond: 0.5 } });
  let token: string;
  let workflowUrl: string;

  beforeAll(() => {
    const workflowId = emulator.logic.addWorkflow({ subscriptionId: 'sub-throttled', resourceGroup: 'rg', name: 'busy' });
    emulator.logic.addWorkflow({ subscriptionId: 'sub-quiet', resourceGroup: 'rg', name: 'calm' });
    workflowUrl = `${emulator.armEndpoint}${workflowId}`;
    token = emulator.issueAccessToken(emulator.armEndpoint);
  });

  it('counts remaining writes down, then answers 429 SubscriptionRequestsThrottled with Retry-After', async () => {
    const write = () =>
      callEmulator('POST', `${workflowUrl}/regenerateAccessKey?api-version=2019-05-01`, { token, body: { keyType: 'Secondary' } });
    // Sent at once: the bucket refills one write every two seconds, far slower than four local requests.
    const answers = await Promise.all([write(), write(), write(), write()]);
    const granted = answers.filter((answer) => answer.status === 200);
    const throttled = answers.filter((answer) => answer.status === 429);
    expect(granted).toHaveLength(3);
    expect(throttled).toHaveLength(1);
    expect(granted.map((answer) => answer.headers['x-ms-ratelimit-remaining-subscription-writes']).sort()).toEqual(['0', '1', '2']);

    const [refusal] = throttled;
    expect(refusal?.body).toMatchObject({ error: { code: 'SubscriptionRequestsThrottled' } });
    expect(Number(refusal?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number.isInteger(Number(refusal?.headers['retry-after']))).toBe(true);
    expect(emulator.logic.keyVersionOf(`${workflowUrl.slice(emulator.armEndpoint.length)}`, 'Secondary')).toBe(3);
  });

  it('counts POST actions such as listCallbackUrl as writes, and reads separately', async () => {
    // Its own emulator with a bucket that practically never refills, so that timing cannot matter.
    const slow = await startTestEmulator({ conformanceCheck: false, armWriteThrottle: { capacity: 1, refillPerSecond: 0.001 } });
    try {
      const id = slow.logic.addWorkflow({ subscriptionId: 'sub-slow', resourceGroup: 'rg', name: 'wf' });
      const slowToken = slow.issueAccessToken(slow.armEndpoint);
      const regenerated = await callEmulator('POST', `${slow.armEndpoint}${id}/regenerateAccessKey?api-version=2019-05-01`, {
        token: slowToken,
        body: { keyType: 'Primary' },
      });
      expect(regenerated.status).toBe(200);
      const listed = await callEmulator('POST', `${slow.armEndpoint}${id}/triggers/manual/listCallbackUrl?api-version=2019-05-01`, {
        token: slowToken,
      });
      expect(listed.status).toBe(429);
      expect(listed.headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('0');
      const read = await callEmulator('GET', `${slow.armEndpoint}${id}?api-version=2019-05-01`, { token: slowToken });
      expect(read.status).toBe(200);
      expect(Number(read.headers['x-ms-ratelimit-remaining-subscription-reads'])).toBe(249);
    } finally {
      await slow.stop();
    }
  });

  it('keeps one bucket per subscription', async () => {
    const other = emulator.logic.list('sub-quiet')[0];
    const answer = await callEmulator('POST', `${emulator.armEndpoint}${other?.id ?? ''}/regenerateAccessKey?api-version=2019-05-01`, {
      token,
      body: { keyType: 'Primary' },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('2');
  });
});
