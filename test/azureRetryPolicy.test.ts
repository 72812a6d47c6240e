import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { azureRetryPolicy, defaultRetrySettings, type RetrySettings } from '../src/azure/core/azureRetryPolicy';

/** How many attempts the retry policy makes when every one is answered with this status. */
async function attemptsAnswered(settings: RetrySettings, status: number, headers: Record<string, string> = {}): Promise<number> {
  let attempts = 0;
  const request = createPipelineRequest({ url: 'https://kv.vault.azure.net/secrets/orders-url?api-version=2025-07-01', method: 'PUT' });
  const answer = (): Promise<PipelineResponse> => {
    attempts += 1;
    return Promise.resolve({ request, status, headers: createHttpHeaders(headers) });
  };
  const response = await azureRetryPolicy(settings).sendRequest(request, answer);
  // A request that still fails is returned as it failed (the SDK client throws it): loud, as ever.
  expect(response.status).toBe(status);
  return attempts;
}

const quick = { initialDelayInMs: 1, maxDelayInMs: 1, maxSingleWaitInMs: 1000 };

describe('azureRetryPolicy: how many attempts a request gets', () => {
  it('retries every failure, 429 included, four times by default', () => {
    expect(defaultRetrySettings).toMatchObject({ maxRetries: 4 });
    expect(defaultRetrySettings.maxThrottledRetries).toBeUndefined();
  });

  it('gives a 429 maxThrottledRetries retries and every other failure maxRetries', async () => {
    const settings: RetrySettings = { ...quick, maxRetries: 1, maxThrottledRetries: 3 };
    expect(await attemptsAnswered(settings, 429)).toBe(4);
    expect(await attemptsAnswered(settings, 503)).toBe(2);
    expect(await attemptsAnswered(settings, 500)).toBe(2);
  });

  it('gives a 429 maxRetries retries when maxThrottledRetries is not set', async () => {
    expect(await attemptsAnswered({ ...quick, maxRetries: 2 }, 429)).toBe(3);
  });

  it('still fails a 429 at once when its Retry-After is longer than the longest single wait', async () => {
    expect(await attemptsAnswered({ ...quick, maxRetries: 1, maxThrottledRetries: 3 }, 429, { 'retry-after': '2' })).toBe(1);
  });
});
