import { jsonResponse, type EmulatorRequest, type EmulatorResponse } from '../EmulatorExchange';

/** ARM pages resource lists; the emulator uses 100 per page (or `$top`), with an opaque `$skiptoken`. */
const pageSize = 100;

/**
 * A list whose `nextLink` misbehaves, as reported in the field: `loop` points every page's nextLink
 * back at the first page (the items repeat for ever); `endless` hands out a fresh nextLink on every
 * page that never ends (the items of the last page repeat).
 */
export interface PagingFault {
  /** The list operation to break (`Workflows_ListBySubscription`, `WebApps_List`, …). */
  readonly operationId: string;
  readonly kind: 'loop' | 'endless';
}

/** Paging faults in force; the test that adds one clears it. */
export class PagingFaults {
  private readonly faults: PagingFault[] = [];

  add(fault: PagingFault): void {
    this.faults.push(fault);
  }

  clear(): void {
    this.faults.length = 0;
  }

  find(operationId: string): PagingFault | undefined {
    return this.faults.find((fault) => fault.operationId === operationId);
  }
}

export interface ArmPageOptions {
  /** The list operation, whose paging fault (if any) applies. */
  readonly operationId: string;
  /** api-version of the nextLink. */
  readonly apiVersion: string;
  /** Microsoft.Web answers `nextLink: null` on the last page; Microsoft.Logic leaves it out. */
  readonly nullNextLinkOnLastPage: boolean;
}

/** ARM's list pages, whichever provider lists: nextLinks point at ARM, and the paging faults in force break them. */
export class ArmPages {
  /** @param armEndpoint the ARM endpoint nextLink points at, known once ARM listens. */
  constructor(
    private readonly armEndpoint: () => string,
    private readonly faults: PagingFaults,
  ) {}

  /** One page of `items` as ARM answers a list request, with the nextLink to the next one. */
  page<T>(request: EmulatorRequest, items: readonly T[], toResource: (item: T) => unknown, options: ArmPageOptions): EmulatorResponse {
    return armPage(request, items, toResource, {
      ...options,
      armEndpoint: this.armEndpoint(),
      fault: this.faults.find(options.operationId),
    });
  }
}

function armPage<T>(
  request: EmulatorRequest,
  items: readonly T[],
  toResource: (item: T) => unknown,
  options: ArmPageOptions & { readonly armEndpoint: string; readonly fault: PagingFault | undefined },
): EmulatorResponse {
  const skipToken = request.url.searchParams.get('$skiptoken');
  const top = Number(request.url.searchParams.get('$top') ?? pageSize);
  const size = Number.isInteger(top) && top > 0 ? Math.min(top, pageSize) : pageSize;
  const decoded = skipToken ? Buffer.from(skipToken, 'base64url').toString('utf8') : '0';
  const page = Number.parseInt(decoded, 10) || 0;
  // An endless list serves its last page again and again, each time under a new skiptoken.
  const offset = options.fault?.kind === 'endless' ? Math.min(page, Math.max(0, items.length - size)) : page;
  const body: Record<string, unknown> = { value: items.slice(offset, offset + size).map(toResource) };
  const nextLink = (token: string | undefined): string => {
    const next = new URL(`${options.armEndpoint}${request.url.pathname}`);
    next.searchParams.set('api-version', options.apiVersion);
    if (request.url.searchParams.has('$top')) next.searchParams.set('$top', String(size));
    if (token !== undefined) next.searchParams.set('$skiptoken', Buffer.from(token, 'utf8').toString('base64url'));
    return next.toString();
  };
  if (options.fault?.kind === 'loop') {
    body['nextLink'] = nextLink(undefined);
  } else if (options.fault?.kind === 'endless') {
    body['nextLink'] = nextLink(`${offset + size}.${decoded.split('.')[1] === undefined ? 1 : Number(decoded.split('.')[1]) + 1}`);
  } else if (offset + size < items.length) {
    body['nextLink'] = nextLink(String(offset + size));
  } else if (options.nullNextLinkOnLastPage) {
    body['nextLink'] = null;
  }
  return jsonResponse(200, body);
}
