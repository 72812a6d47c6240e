import { createPipelineRequest, RestError, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';

/**
 * POSTs a JSON action (regenerateAccessKey, listCallbackUrl) through an SDK client's own pipeline —
 * its auth, retry and logging policies — for the calls whose generated SDK method cannot send the
 * body Azure documents. Answers `{ "error": { code, message } }` become RestErrors like the SDK's.
 * `{ "response": { … } }` wrappers (the Flow service sends them) are unwrapped.
 */
export async function postJsonAction(
  send: (request: PipelineRequest) => Promise<PipelineResponse>,
  url: string,
  body: unknown,
  abortSignal: AbortSignal | undefined,
): Promise<unknown> {
  const request = createPipelineRequest({ url, method: 'POST', body: body === undefined ? undefined : JSON.stringify(body), abortSignal });
  request.headers.set('Content-Type', 'application/json; charset=utf-8');
  request.headers.set('Accept', 'application/json');
  const response = await send(request);
  const parsed = unwrap(parseJson(response.bodyAsText));
  if (response.status < 200 || response.status > 299) {
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    throw new RestError(
      typeof error?.message === 'string' ? error.message : `${url.split('?')[0]?.split('/').pop()} answered ${response.status}`,
      {
        statusCode: response.status,
        code: typeof error?.code === 'string' ? error.code : undefined,
      },
    );
  }
  return parsed;
}

/** The `value` of a WorkflowTriggerCallbackUrl answer. */
export function callbackUrlValue(answer: unknown, status = 200): string {
  const value = (answer as { value?: unknown } | undefined)?.value;
  if (typeof value !== 'string') {
    throw new RestError('listCallbackUrl answered without a callback URL', { statusCode: status, code: 'InvalidResponse' });
  }
  return value;
}

function unwrap(body: unknown): unknown {
  if (body && typeof body === 'object' && 'response' in body && Object.keys(body).length === 1) {
    return (body as { response: unknown }).response;
  }
  return body;
}

function parseJson(text: string | undefined | null): unknown {
  if (!text) {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
