import { createHmac } from 'crypto';

/** The parts of a callback URL that its `sig` covers. `api-version` is not among them, as in Logic Apps. */
export interface SignedCallbackUrlParts {
  /** The invoke path: `/workflows/{id}[/versions/{v}]/triggers/{t}/paths/invoke`. */
  readonly path: string;
  readonly sp: string;
  readonly sv: string;
  /** Expiry, when the URL was listed with `notAfter`. */
  readonly se?: string;
}

/** base64url(HMAC-SHA256(access key, canonical string)): 43 characters, deterministic for a given key. */
export function signCallbackUrl(accessKey: Buffer, parts: SignedCallbackUrlParts): string {
  const canonical = [parts.path.toLowerCase(), parts.sp.toLowerCase(), parts.sv, parts.se ?? ''].join('\n');
  return createHmac('sha256', accessKey).update(canonical, 'utf8').digest('base64url');
}
