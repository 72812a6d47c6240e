import type { EmulatorService } from './EmulatorService';

/**
 * A failure to inject. Selectors left out match everything; the first rule (in order added) that matches
 * a request and still has `times` left applies to it.
 */
export interface FaultRule {
  service?: EmulatorService;
  operationId?: string;
  method?: string;
  /** Matched case-insensitively against the path (never the query string), like ARM matches resource IDs. */
  pathIncludes?: string;
  /** How many requests the rule applies to. Default 1; `Infinity` for every matching request. */
  times?: number;
  /** Answer with this status, in the service's own error shape. Without `status` or `dropConnection` the rule only delays. */
  status?: number;
  errorCode?: string;
  message?: string;
  retryAfterSeconds?: number;
  delayMs?: number;
  /** Destroy the socket instead of answering: the client sees a network error. */
  dropConnection?: boolean;
  /**
   * Perform the operation, then answer with the fault. The seed's "rejected although the key changed":
   * the caller must not trust the status alone.
   */
  afterProcessing?: boolean;
  /** Let this many matching requests through untouched first (e.g. fault only the second listCallbackUrl). */
  skip?: number;
  /**
   * Hold the request, unanswered, until the test releases it (`nextHeld()`); then it is processed as
   * usual. A client killed meanwhile is a crash in the middle of that call: Azure still performs
   * a request it has received, and so does the emulator.
   */
  hold?: boolean;
}

/** A request parked by a `hold` rule. */
export interface HeldRequest extends FaultCandidate {
  /** Lets the request go on to be processed and answered. */
  release(): void;
}

export interface FaultCandidate {
  readonly service: EmulatorService;
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
}

interface ArmedFault {
  readonly rule: FaultRule;
  remaining: number;
  toSkip: number;
}

export class FaultInjector {
  private armed: ArmedFault[] = [];
  private readonly held: HeldRequest[] = [];
  private readonly heldWaiters: Array<(request: HeldRequest) => void> = [];

  add(rule: FaultRule): void {
    const times = rule.times ?? 1;
    if (!(times > 0)) throw new RangeError(`FaultRule.times must be positive, got ${times}`);
    this.armed.push({ rule: { ...rule }, remaining: times, toSkip: rule.skip ?? 0 });
  }

  /** Removes every rule and lets every held request go. */
  clear(): void {
    this.armed = [];
    for (const request of this.held.splice(0)) request.release();
  }

  /** The next request a `hold` rule parks (already parked ones first). */
  nextHeld(): Promise<HeldRequest> {
    const parked = this.held.shift();
    if (parked) return Promise.resolve(parked);
    return new Promise((resolve) => this.heldWaiters.push(resolve));
  }

  /** Parks a request until the test releases it. */
  hold(candidate: FaultCandidate): Promise<void> {
    return new Promise((resolve) => {
      let released = false;
      const request: HeldRequest = {
        ...candidate,
        release: () => {
          if (!released) {
            released = true;
            resolve();
          }
        },
      };
      const waiter = this.heldWaiters.shift();
      if (waiter) waiter(request);
      else this.held.push(request);
    });
  }

  /** Finds the fault for a request and uses up one of its `times`. */
  take(candidate: FaultCandidate): FaultRule | undefined {
    const match = this.armed.find((fault) => fault.remaining > 0 && faultMatches(fault.rule, candidate));
    if (!match) return undefined;
    if (match.toSkip > 0) {
      match.toSkip -= 1;
      return undefined;
    }
    match.remaining -= 1;
    if (match.remaining <= 0) this.armed = this.armed.filter((fault) => fault !== match);
    return match.rule;
  }
}

function faultMatches(rule: FaultRule, candidate: FaultCandidate): boolean {
  if (rule.service !== undefined && rule.service !== candidate.service) return false;
  if (rule.operationId !== undefined && rule.operationId.toLowerCase() !== candidate.operationId.toLowerCase()) return false;
  if (rule.method !== undefined && rule.method.toUpperCase() !== candidate.method.toUpperCase()) return false;
  if (rule.pathIncludes !== undefined && !candidate.path.toLowerCase().includes(rule.pathIncludes.toLowerCase())) return false;
  return true;
}

/** A rule that answers (or hangs up) rather than only slowing the request down. */
export function faultInterrupts(rule: FaultRule): boolean {
  return rule.dropConnection === true || rule.status !== undefined;
}
