import { createHash } from 'node:crypto';

/**
 * The only form in which a `sig` may appear in logs, telemetry, errors or secret tags:
 * the first 16 lowercase hex characters of SHA-256 over the URL-decoded `sig` value (docs/design.md §5).
 */
export function sigFingerprint(sig: string): string {
  return createHash('sha256').update(sig, 'utf8').digest('hex').slice(0, 16);
}
