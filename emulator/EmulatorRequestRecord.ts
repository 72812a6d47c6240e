import type { EmulatorService } from './EmulatorService';

/** One request the emulator received, as tests see it. The query string is left out because it can carry a `sig`. */
export interface EmulatorRequestRecord {
  readonly service: EmulatorService;
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  /** 0 when a fault dropped the connection instead of answering. */
  readonly status: number;
  readonly subscriptionId?: string;
  readonly at: Date;
}
