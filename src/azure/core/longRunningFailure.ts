/**
 * A long-running operation that ended Failed comes back from @azure/core-lro as a plain Error,
 * `The long-running operation has failed. <code>. <message>`, with no `code` or `statusCode`.
 * This reads Azure's code and message out of it (any URL in the message cut out: a failure never
 * carries one), or undefined for any other error (a RestError or a cancellation passes as thrown).
 */
export function longRunningFailure(error: unknown): { readonly azureCode: string; readonly reason: string } | undefined {
  if (!(error instanceof Error) || error.name === 'AbortError' || 'statusCode' in error || 'code' in error) return undefined;
  if (!error.message.startsWith('The long-running operation has failed')) return undefined;
  const detail = /^The long-running operation has failed\. ([^.]+)\. ([\s\S]*)$/.exec(error.message);
  return detail ? { azureCode: detail[1] ?? '', reason: withoutUrls(detail[2] ?? '') } : { azureCode: '', reason: 'no reason given' };
}

/** Azure's message may name the endpoint: no URL goes into a failure. */
export function withoutUrls(text: string): string {
  return text
    .replace(/https?:\/\/\S+/gi, '<url>')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
}
