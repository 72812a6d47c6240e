import type { EmulatorService } from './EmulatorService';

/**
 * One request and the answer the emulator gave, whole: what the tests check against Microsoft's
 * published OpenAPI specs. It holds secrets (callback URLs, tokens), so it is kept in memory only
 * and never printed; `EmulatorRequestRecord` is the safe summary.
 */
export interface RecordedExchange {
  readonly service: EmulatorService;
  /** The emulator's own name for the operation (the spec's operationId where there is one). */
  readonly operationId: string;
  readonly method: string;
  /** The full request URL, query included. */
  readonly url: string;
  readonly requestHeaders: Readonly<Record<string, string>>;
  /** The request body as text (decompressed), undefined when empty. */
  readonly requestBody: string | undefined;
  /** 0 when a fault dropped the connection instead of answering. */
  readonly status: number;
  readonly responseHeaders: Readonly<Record<string, string>>;
  readonly responseBody: string | undefined;
  /** The answer came from an injected fault (FaultInjector), not from the emulated service. */
  readonly injectedFault: boolean;
}
