import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { retryAfterInMs } from '../src/azure/core/azureRetryPolicy';
import { parseResetsAfter, quotaOf } from '../src/azure/core/resourceGraphQuota';

const response = (headers: Record<string, string>): PipelineResponse => ({
  request: createPipelineRequest({ url: 'https://management.azure.com/providers/Microsoft.ResourceGraph/resources' }),
  status: 200,
  headers: createHttpHeaders(headers),
});

describe("Resource Graph's throttling headers (docs/design.md §4.5)", () => {
  it('reads x-ms-user-quota-resets-after as hh:mm:ss, and nothing else', () => {
    expect(parseResetsAfter('00:00:03')).toBe(3000);
    expect(parseResetsAfter('01:02:03')).toBe(3_723_000);
    expect(parseResetsAfter('00:00:04.5')).toBe(4500);
    for (const bad of [undefined, '', '3', '00:03', 'soon', '-00:00:01']) expect(parseResetsAfter(bad)).toBeUndefined();
  });

  it('reads x-ms-user-quota-remaining as a whole number', () => {
    expect(quotaOf(response({ 'x-ms-user-quota-remaining': '0', 'x-ms-user-quota-resets-after': '00:00:05' }))).toEqual({
      remaining: 0,
      resetsAfterMs: 5000,
    });
    expect(quotaOf(response({ 'x-ms-user-quota-remaining': 'lots' }))).toEqual({ remaining: undefined, resetsAfterMs: undefined });
  });

  it('the retry policy waits for the quota reset when a 429 has no Retry-After, and Retry-After still wins', () => {
    expect(retryAfterInMs(response({ 'x-ms-user-quota-resets-after': '00:00:02' }))).toBe(2000);
    expect(retryAfterInMs(response({ 'retry-after': '7', 'x-ms-user-quota-resets-after': '00:00:02' }))).toBe(7000);
    expect(retryAfterInMs(response({}))).toBeUndefined();
  });
});
