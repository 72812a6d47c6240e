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
}

export class FaultInjector {
  private armed: ArmedFault[] = [];

  add(rule: FaultRule): void {
    const times = rule.times ?? 1;
    if (!(times > 0)) throw new RangeError(`FaultRule.times must be positive, got ${times}`);
    this.armed.push({ rule: { ...rule }, remaining: times });
  }

  clear(): void {
    this.armed = [];
  }

  /** Finds the fault for a request and uses up one of its `times`. */
  take(candidate: FaultCandidate): FaultRule | undefined {
    const match = this.armed.find((fault) => fault.remaining > 0 && faultMatches(fault.rule, candidate));
    if (!match) return undefined;
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
