import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'crypto';

export interface AccessTokenClaims {
  readonly aud: string;
  readonly iss: string;
  readonly tid: string;
  readonly oid: string;
  readonly appid: string;
  readonly sub: string;
  readonly idtyp: string;
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
}

export interface IssueAccessTokenOptions {
  /** The audience, as MSI's `resource` (a trailing "/.default" is removed, like Entra does for v1 tokens). */
  readonly resource: string;
  readonly clientId: string;
  readonly objectId: string;
  /** Negative values mint an already expired token. Default one hour, like Entra. */
  readonly expiresInSeconds?: number;
}

export interface IssuedAccessToken {
  readonly token: string;
  readonly claims: AccessTokenClaims;
}

export type AccessTokenVerdict =
  | { readonly outcome: 'valid'; readonly claims: AccessTokenClaims }
  | { readonly outcome: 'missing' }
  | { readonly outcome: 'malformed' }
  | { readonly outcome: 'badSignature' }
  | { readonly outcome: 'notYetValid'; readonly claims: AccessTokenClaims }
  | { readonly outcome: 'expired'; readonly claims: AccessTokenClaims }
  | { readonly outcome: 'wrongAudience'; readonly claims: AccessTokenClaims };

/** Clock skew Entra-protected services tolerate. */
const clockSkewSeconds = 300;

/**
 * The emulator's Entra ID: mints real JWTs (HS256 with a per-emulator secret, since nothing outside the
 * emulator needs to verify them) and checks them the way ARM and Key Vault do: signature, lifetime, audience.
 */
export class AccessTokenAuthority {
  private readonly tokens = new Set<string>();

  /** Every token this emulator ever issued, so tests can prove none of them leaked. */
  get issuedTokens(): ReadonlySet<string> {
    return this.tokens;
  }

  private readonly signingKey = randomBytes(32);

  constructor(readonly tenantId: string) {}

  get issuer(): string {
    return `https://sts.windows.net/${this.tenantId}/`;
  }

  issue(options: IssueAccessTokenOptions): IssuedAccessToken {
    const now = Math.floor(Date.now() / 1000);
    const lifetime = options.expiresInSeconds ?? 3600;
    const claims: AccessTokenClaims = {
      aud: audienceOfResource(options.resource),
      iss: this.issuer,
      tid: this.tenantId,
      oid: options.objectId,
      appid: options.clientId,
      sub: options.objectId,
      idtyp: 'app',
      iat: now,
      nbf: Math.min(now, now + lifetime),
      exp: now + lifetime,
    };
    const header = base64UrlJson({ alg: 'HS256', typ: 'JWT', kid: 'emulator' });
    const payload = base64UrlJson({ ...claims, uti: randomUUID() });
    const token = `${header}.${payload}.${this.sign(`${header}.${payload}`)}`;
    this.tokens.add(token);
    return { token, claims };
  }

  /** Checks an `Authorization` header value against the audiences a service accepts. */
  verify(authorization: string | undefined, allowedAudiences: readonly string[]): AccessTokenVerdict {
    if (!authorization) return { outcome: 'missing' };
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match?.[1]) return { outcome: 'malformed' };
    const parts = match[1].split('.');
    const [header, payload, signature] = parts;
    if (parts.length !== 3 || !header || !payload || signature === undefined) return { outcome: 'malformed' };
    const expected = Buffer.from(this.sign(`${header}.${payload}`));
    const actual = Buffer.from(signature);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return { outcome: 'badSignature' };
    let claims: AccessTokenClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as AccessTokenClaims;
    } catch {
      return { outcome: 'malformed' };
    }
    const now = Math.floor(Date.now() / 1000);
    if (claims.nbf > now + clockSkewSeconds) return { outcome: 'notYetValid', claims };
    if (claims.exp <= now) return { outcome: 'expired', claims };
    const audience = normalizeAudience(claims.aud);
    if (!allowedAudiences.some((allowed) => normalizeAudience(allowed) === audience)) {
      return { outcome: 'wrongAudience', claims };
    }
    return { outcome: 'valid', claims };
  }

  private sign(signingInput: string): string {
    return createHmac('sha256', this.signingKey).update(signingInput).digest('base64url');
  }
}

export function audienceOfResource(resource: string): string {
  return resource.replace(/\/\.default$/i, '');
}

/** Entra audiences compare without case and without a trailing slash ("https://vault.azure.net/" = "https://vault.azure.net"). */
function normalizeAudience(audience: string): string {
  return audience.replace(/\/+$/, '').toLowerCase();
}

function base64UrlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
