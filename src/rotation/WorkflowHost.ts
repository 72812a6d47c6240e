/** Which service hosts a workflow (docs/design.md §4.3); read from its resource ID. */
export type WorkflowHost = 'consumption' | 'standard' | 'powerAutomate';

/**
 * Logic Apps (Consumption and Standard) have two access keys, so rotation alternates and the
 * published URL survives one more interval. A Power Automate flow has one key: every rotation is a
 * hard cut — the published URL dies the moment the key is regenerated, so the fresh one is
 * published at once.
 */
export function hasSingleKey(host: WorkflowHost): boolean {
  return host === 'powerAutomate';
}
