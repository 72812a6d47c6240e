import type { EmulatorResponse } from '../EmulatorExchange';

/** ARM's error body: `{ "error": { "code", "message" } }` (the spec's ErrorResponse). */
export function armError(status: number, code: string, message: string, headers?: Record<string, string>): EmulatorResponse {
  return { status, body: { error: { code, message } }, ...(headers ? { headers } : {}) };
}
