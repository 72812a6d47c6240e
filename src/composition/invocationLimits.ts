/**
 * The time limits of a function invocation, in a module of their own: the timer and the queue
 * function both need them, and importing a function module registers that function with the host.
 */

/** Keep in step with `functionTimeout` in host.json (a test checks both). */
export const functionTimeoutMs = 10 * 60 * 1000;

/** Stop starting targets this long before the host kills the invocation, to flush and report. */
const deadlineMarginMs = 60 * 1000;

/**
 * An invocation's own deadline, from its start: discovery and rotation both fit in it, and a hard
 * cut's 30 s finish budget and the final flush fit in the margin after it.
 */
export const invocationDeadlineMs = functionTimeoutMs - deadlineMarginMs;
