import { createHmac, timingSafeEqual } from 'crypto';

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

/** What a SAS check of a callback URL found, before the caller knows whether the URL's workflow exists. */
export type SasCheckOutcome = 'valid' | 'unsigned' | 'badSignature' | 'expired';

/**
 * Checks a callback URL's `sp`/`sv`/`sig`(/`se`) against a workflow's current keys: any one of them may have
 * signed it. `expectedSp` is compared without regard to case, as the runtime does.
 */
export function checkSas(url: URL, keys: readonly Buffer[], expectedSp: string): SasCheckOutcome {
  const query = url.searchParams;
  const sp = query.get('sp');
  const sv = query.get('sv');
  const sig = query.get('sig');
  const se = query.get('se') ?? undefined;
  if (!sp || !sv || !sig || !query.get('api-version')) return 'unsigned';
  if (sp.toLowerCase() !== expectedSp.toLowerCase() || sv !== '1.0') return 'badSignature';
  const signed = Buffer.from(sig);
  const matchesAKey = keys.some((key) => {
    const expected = Buffer.from(signCallbackUrl(key, { path: url.pathname, sp, sv, ...(se !== undefined ? { se } : {}) }));
    return expected.length === signed.length && timingSafeEqual(expected, signed);
  });
  if (!matchesAKey) return 'badSignature';
  if (se !== undefined && !(Date.parse(se) > Date.now())) return 'expired';
  return 'valid';
}

/** The SAS expiry format Logic Apps uses: seven fractional digits, UTC. */
export function sasExpiry(notAfter: Date): string {
  return notAfter.toISOString().replace(/\.(\d{3})Z$/, (_match, milliseconds: string) => `.${milliseconds}0000Z`);
}
