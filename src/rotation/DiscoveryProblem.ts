/**
 * Something tag discovery could not see, or could not turn into a target (docs/design.md §4.5). Any of them
 * makes the run incomplete: it is recorded as `SasKeyDiscoveryFailed` and the run's outcome is never
 * `Succeeded` or `NothingDue` (the no-silent-non-rotation invariant).
 */
export interface DiscoveryProblem {
  /** The ROTATION_DISCOVERY scope being listed, `/subscriptions/{id}[/resourceGroups/{rg}]` or `/providers/Microsoft.Management/managementGroups/{id}`. */
  readonly scope: string;
  /** The site or workflow concerned; empty when the whole scope is. */
  readonly resourceId: string;
  /**
   * The ARM operation that failed (`Workflows_ListBySubscription`, `WebApps_ListWorkflows`, Resource Graph's `Resources`, …),
   * `readTags` for a tagged resource whose tags are not a valid target, or `mergeTargets`.
   */
  readonly operation: string;
  readonly statusCode: number | undefined;
  /** Azure's error code, or sas-rotator's own: PagingLoop, PageLimitReached, MalformedListAnswer, ResourceGraphThrottled, DiscoveryTimedOut, DeadlineReached, InvalidTag, SecretNameCollision. */
  readonly errorCode: string;
  /** Scrubbed; says what was not seen and the fix where there is one. */
  readonly message: string;
}

/** The problems in one line each, for logs and the CLI's stderr. */
export function describeDiscoveryProblem(problem: DiscoveryProblem): string {
  const where = problem.resourceId || problem.scope;
  const status = [problem.statusCode, problem.errorCode].filter((part) => part !== undefined && part !== '').join(' ');
  return `${where}: ${problem.operation} failed (${status}): ${problem.message}`;
}

/**
 * Whether some listing did not finish, so a workflow may exist that discovery did not see. Bad tags
 * and secret name collisions leave the listing complete: every tagged workflow was seen.
 */
export function isListingIncomplete(problems: readonly DiscoveryProblem[]): boolean {
  return problems.some((problem) => problem.operation !== 'readTags' && problem.operation !== 'mergeTargets');
}
