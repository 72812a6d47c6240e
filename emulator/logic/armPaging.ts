import { jsonResponse, type EmulatorRequest, type EmulatorResponse } from '../EmulatorExchange';

/** ARM pages resource lists; the emulator uses 100 per page (or `$top`), with an opaque `$skiptoken`. */
const pageSize = 100;

export interface ArmPageOptions {
  /** The ARM endpoint nextLink points at. */
  readonly armEndpoint: string;
  /** api-version of the nextLink. */
  readonly apiVersion: string;
  /** Microsoft.Web answers `nextLink: null` on the last page; Microsoft.Logic leaves it out. */
  readonly nullNextLinkOnLastPage: boolean;
}

/** One page of `items` as ARM answers a list request, with the nextLink to the next one. */
export function armPage<T>(request: EmulatorRequest, items: readonly T[], toResource: (item: T) => unknown, options: ArmPageOptions): EmulatorResponse {
  const skipToken = request.url.searchParams.get('$skiptoken');
  const top = Number(request.url.searchParams.get('$top') ?? pageSize);
  const size = Number.isInteger(top) && top > 0 ? Math.min(top, pageSize) : pageSize;
  const offset = skipToken ? Number.parseInt(Buffer.from(skipToken, 'base64url').toString('utf8'), 10) || 0 : 0;
  const body: Record<string, unknown> = { value: items.slice(offset, offset + size).map(toResource) };
  if (offset + size < items.length) {
    const next = new URL(`${options.armEndpoint}${request.url.pathname}`);
    next.searchParams.set('api-version', options.apiVersion);
    if (request.url.searchParams.has('$top')) next.searchParams.set('$top', String(size));
    next.searchParams.set('$skiptoken', Buffer.from(String(offset + size), 'utf8').toString('base64url'));
    body['nextLink'] = next.toString();
  } else if (options.nullNextLinkOnLastPage) {
    body['nextLink'] = null;
  }
  return jsonResponse(200, body);
}
