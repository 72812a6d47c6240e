/**
 * The step of the protocol (docs/design.md §3) at which a target failed; dashboards group failures by it.
 * `enqueue` is fan-out's hand-off of a target to the queue, before the protocol starts.
 */
export type RotationStep = 'enqueue' | 'readSecret' | 'listBefore' | 'regenerate' | 'listAfter' | 'verify' | 'publish';
