import type { RecordedExchange } from '../../emulator/index';

/**
 * Exchanges as the emulator records them, for the tests of the conformance check itself: by default
 * a Consumption regenerateAccessKey (Secondary) answered 200 with no body, as Azure answers it.
 */
export const armSubscription = '11111111-2222-4333-8444-555555555555';
export const ordersWorkflowUrl = `https://127.0.0.1:1/subscriptions/${armSubscription}/resourceGroups/rg/providers/Microsoft.Logic/workflows/orders`;
export const jsonHeaders = { 'content-type': 'application/json; charset=utf-8' };

export function recordedExchange(overrides: Partial<RecordedExchange> = {}): RecordedExchange {
  return {
    service: 'arm',
    operationId: 'test',
    method: 'POST',
    url: `${ordersWorkflowUrl}/regenerateAccessKey?api-version=2019-05-01`,
    requestHeaders: jsonHeaders,
    requestBody: JSON.stringify({ keyType: 'Secondary' }),
    status: 200,
    responseHeaders: {},
    responseBody: undefined,
    injectedFault: false,
    ...overrides,
  };
}
