/**
 * The one scrubbing function: everything that leaves the process as text (log lines, telemetry,
 * error messages, CLI output) passes through it. Azure SDK errors (`RestError`) carry request and
 * response details, and a callback URL is a bearer credential, so we remove whole URLs that carry a
 * signature rather than trying to cut out just the `sig`.
 */
// Separators as they appear raw, JSON-escaped (\u0026) and URL-encoded inside another URL (%26, %3D).
const signedUrl = /\bhttps?:\/\/[^\s"'<>]*?(?:[?&]|\\u0026|%26|%3F)(?:sig|se|sv)(?:=|%3D)[^\s"'<>]*/gi;
const sigParameter = /((?:^|[?&;,\s"'{(]|\\u0026|%26)sig["']?\s*(?:[=:]|%3D)\s*["']?)[A-Za-z0-9%_\-+/=]+/gi;
const jsonWebToken = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const bearerToken = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
const accessTokenField = /("?access_token"?\s*[:=]\s*"?)[^"\s,}]+/gi;

export const redacted = '[REDACTED]';

export function scrubSecrets(text: string): string {
  return text
    .replace(signedUrl, '[REDACTED callback URL]')
    .replace(jsonWebToken, redacted)
    .replace(bearerToken, `$1${redacted}`)
    .replace(accessTokenField, `$1${redacted}`)
    .replace(sigParameter, `$1${redacted}`);
}
