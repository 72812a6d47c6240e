import type { FaultRule } from '../../emulator/index';

/*
 * ARM answers that do not go away, for the tests of what sas-rotator makes of them: every request of
 * `operationId` whose path includes `pathIncludes` (a subscription ID, say) gets the fault.
 */

/** The identity may not read or call it: 403 AuthorizationFailed. */
export function armForbidden(operationId: string, pathIncludes: string): FaultRule {
  return { operationId, pathIncludes, status: 403, errorCode: 'AuthorizationFailed', times: Infinity };
}

/** Throttled beyond sas-rotator's retry cap: 429 with a Retry-After of an hour. */
export function armThrottledForAnHour(operationId: string, pathIncludes: string): FaultRule {
  return { operationId, pathIncludes, status: 429, retryAfterSeconds: 3600, times: Infinity };
}
