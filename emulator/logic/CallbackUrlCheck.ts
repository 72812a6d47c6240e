/** Which kind of host a workflow lives on (docs/design.md §4.3): each signs its callback URLs its own way. */
export type WorkflowHost = 'consumption' | 'standard' | 'powerAutomate';

/** The workflow trigger a callback URL starts, whichever host it lives on. */
export interface InvocationTarget {
  readonly host: WorkflowHost;
  /** The ID the emulator seeded it under (ARM resource ID, or the Flow API's `/providers/Microsoft.ProcessSimple/…` ID). */
  readonly workflowId: string;
  readonly name: string;
  readonly trigger: string;
  /** A disabled workflow (or a stopped flow) refuses runs even with a valid signature. */
  readonly enabled: boolean;
}

/**
 * What the runtime would make of a callback URL. `oauthRequired`: a flow whose trigger accepts only
 * OAuth callers; its URL carries no `sig` and works only with a bearer token, so it is never valid by itself.
 */
export type CallbackUrlCheck =
  | { readonly valid: true; readonly target: InvocationTarget }
  | { readonly valid: false; readonly reason: 'notFound' | 'unsigned' | 'badSignature' | 'expired'; readonly target?: InvocationTarget }
  | { readonly valid: false; readonly reason: 'oauthRequired'; readonly target: InvocationTarget };

/** A host's half of the oracle: `undefined` when the URL is not one this host hands out. */
export interface CallbackUrlVerifier {
  checkCallbackUrl(url: URL): CallbackUrlCheck | undefined;
}
