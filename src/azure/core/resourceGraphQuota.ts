import type { PipelineResponse } from '@azure/core-rest-pipeline';

/** What Resource Graph's throttling headers said about the caller's quota after one query. */
export interface ResourceGraphQuota {
  /** `x-ms-user-quota-remaining`: queries left in the current window. */
  readonly remaining: number | undefined;
  /** `x-ms-user-quota-resets-after` (hh:mm:ss) in milliseconds: when the window starts again. */
  readonly resetsAfterMs: number | undefined;
}

/** Resource Graph's throttling headers (Learn, "Guidance for throttled requests in Azure Resource Graph"). */
export function quotaOf(response: PipelineResponse): ResourceGraphQuota {
  const remainingText = response.headers.get('x-ms-user-quota-remaining');
  const remaining = remainingText !== undefined && /^\d+$/.test(remainingText.trim()) ? Number(remainingText) : undefined;
  return { remaining, resetsAfterMs: parseResetsAfter(response.headers.get('x-ms-user-quota-resets-after')) };
}

/** `hh:mm:ss` (optionally with fractional seconds) in milliseconds; undefined for anything else. */
export function parseResetsAfter(text: string | undefined): number | undefined {
  const match = /^\s*(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)\s*$/.exec(text ?? '');
  if (!match) return undefined;
  return Math.round((Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3])) * 1000);
}
