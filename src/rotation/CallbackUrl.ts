/** What the protocol needs to know about a callback URL, without ever printing it. */
export interface CallbackUrl {
  /** The full URL. Secret: never log, trace or put it in an error. */
  readonly value: string;
  /** The `sig` query value (URL-decoded). Secret. */
  readonly sig: string;
  /** The `sp` query value, e.g. `/triggers/manual/run`. */
  readonly signedPath: string;
}

/** Returns undefined when the text is not an absolute URL carrying `sig` and `sp`. */
export function parseCallbackUrl(value: string): CallbackUrl | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  const sig = url.searchParams.get('sig');
  const signedPath = url.searchParams.get('sp');
  if (!sig || !signedPath) {
    return undefined;
  }
  return { value, sig, signedPath };
}

/** The unversioned signed path: a URL pinned to a workflow version dies when the workflow is saved again. */
export function triggerSignedPath(trigger: string): string {
  return `/triggers/${trigger}/run`;
}

/** The unversioned URL of the configured trigger: a version-pinned URL dies when the workflow is saved. */
export function isTriggerUrl(url: CallbackUrl, trigger: string): boolean {
  return url.signedPath.toLowerCase() === triggerSignedPath(trigger).toLowerCase();
}
