import { createHmac, timingSafeEqual } from 'crypto';
import { logicAppsTime } from './logicAppsTime';

/**
 * Callback URLs, whichever host hands them out (Consumption, Standard, Power Automate): all are Logic Apps
 * runtime URLs signed the same way, so one module signs them and one SAS check verifies them.
 */

/** Which kind of host a workflow lives on (docs/design.md §4.3): each spells its callback URLs its own way. */
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

/** A callback URL in the parts listCallbackUrl reports (ARM's WorkflowTriggerCallbackUrl; the Flow API's is alike). */
export interface CallbackUrl {
  readonly value: string;
  readonly basePath: string;
  readonly queries: {
    readonly 'api-version': string;
    readonly se?: string;
    readonly sp: string;
    readonly sv: string;
    readonly sig: string;
  };
}

/** What a host says about a callback URL before it is signed. */
export interface CallbackUrlToSign {
  /** The invoke path, as the host spells it. */
  readonly path: string;
  /** What the URL may start: `[/versions/{v}]/triggers/{t}/run`. */
  readonly sp: string;
  /** The api-version the host's URLs carry; the signature does not cover it, as in Logic Apps. */
  readonly apiVersion: string;
  /** Adds `se`, after which the runtime refuses the URL. */
  readonly notAfter?: Date;
}

const sasVersion = '1.0';

/**
 * The Logic Apps runtime's side of callback URLs, shared by every host: where they point, signing them
 * (remembering every `sig` handed out, so tests can prove none leaked), and telling its own URLs apart.
 */
export class CallbackUrlIssuer {
  private readonly signatures = new Set<string>();

  /** @param runtimeOrigin where callback URLs point (the emulated `prod-NN.<region>.logic.azure.com`), known once the runtime listens. */
  constructor(private readonly runtimeOrigin: () => string) {}

  get issuedSigs(): ReadonlySet<string> {
    return this.signatures;
  }

  /** A path on the runtime, as an absolute URL. */
  url(path: string): string {
    return `${this.runtimeOrigin()}${path}`;
  }

  /** Builds and signs a callback URL: `?api-version=…[&se=…]&sp=…&sv=1.0&sig=…`. */
  sign(accessKey: Buffer, toSign: CallbackUrlToSign): CallbackUrl {
    const { path, sp, apiVersion } = toSign;
    const se = toSign.notAfter ? logicAppsTime(toSign.notAfter) : undefined;
    const sig = signature(accessKey, path, sp, sasVersion, se);
    this.signatures.add(sig);
    const query = new URLSearchParams();
    query.set('api-version', apiVersion);
    if (se !== undefined) query.set('se', se);
    query.set('sp', sp);
    query.set('sv', sasVersion);
    query.set('sig', sig);
    const basePath = this.url(path);
    return {
      value: `${basePath}?${query.toString()}`,
      basePath,
      queries: { 'api-version': apiVersion, ...(se !== undefined ? { se } : {}), sp, sv: sasVersion, sig },
    };
  }

  /** The parts of a URL's path that `invokePath` captures; `undefined` for a URL elsewhere or with another path. */
  match(url: URL, invokePath: RegExp): RegExpExecArray | undefined {
    if (url.origin.toLowerCase() !== new URL(this.runtimeOrigin()).origin.toLowerCase()) return undefined;
    return invokePath.exec(url.pathname) ?? undefined;
  }
}

/**
 * The SAS check: the URL's `sp`/`sv`/`sig` (and `se`) against the workflow's current keys, any one of which may
 * have signed it. `expectedSp` is compared without regard to case, as the runtime does.
 */
export function checkCallbackUrlSas(url: URL, target: InvocationTarget, keys: readonly Buffer[], expectedSp: string): CallbackUrlCheck {
  const query = url.searchParams;
  const sp = query.get('sp');
  const sv = query.get('sv');
  const sig = query.get('sig');
  const se = query.get('se') ?? undefined;
  if (!sp || !sv || !sig || !query.get('api-version')) return { valid: false, reason: 'unsigned', target };
  if (sp.toLowerCase() !== expectedSp.toLowerCase() || sv !== sasVersion) return { valid: false, reason: 'badSignature', target };
  const signed = Buffer.from(sig);
  const matchesAKey = keys.some((key) => {
    const expected = Buffer.from(signature(key, url.pathname, sp, sv, se));
    return expected.length === signed.length && timingSafeEqual(expected, signed);
  });
  if (!matchesAKey) return { valid: false, reason: 'badSignature', target };
  if (se !== undefined && !(Date.parse(se) > Date.now())) return { valid: false, reason: 'expired', target };
  return { valid: true, target };
}

/** The oracle's yes or no for a URL as a consumer holds it: text that is no URL does not work either. */
export function isCallbackUrlValid(verifier: CallbackUrlVerifier, url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return verifier.checkCallbackUrl(parsed)?.valid === true;
}

/** base64url(HMAC-SHA256(access key, canonical string)): 43 characters, deterministic for a given key. */
function signature(accessKey: Buffer, path: string, sp: string, sv: string, se: string | undefined): string {
  const canonical = [path.toLowerCase(), sp.toLowerCase(), sv, se ?? ''].join('\n');
  return createHmac('sha256', accessKey).update(canonical, 'utf8').digest('base64url');
}
