import { scrubSecrets } from '../../src/rotation/scrubSecrets';
import { sigFingerprint } from '../../src/rotation/sigFingerprint';

const sig = 'IxEQ_ygZf6WNEQCbjV0Vs6p6Y4DyNEJVAa86U5B4xhk';
const url = `https://prod-03.westus.logic.azure.com:443/workflows/d469/triggers/manual/paths/invoke?api-version=2016-10-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${sig}`;
const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJodHRwczovL3ZhdWx0LmF6dXJlLm5ldCJ9.c2lnbmF0dXJlLXZhbHVl';

describe('scrubSecrets', () => {
  it.each([
    ['a callback URL', `PUT failed for value ${url} (409)`],
    ['a bare sig parameter', `query was sp=%2Ftriggers&sig=${sig}`],
    ['a sig in JSON', `{"queries":{"sv":"1.0","sig":"${sig}"}}`],
    ['a bearer token', `Authorization: Bearer ${jwt}`],
    ['a JWT', `token ${jwt} expired`],
    ['an access_token field', `{"access_token":"${jwt}","expires_on":"1"}`],
    ['a JSON-escaped query', `{"value":"https://x/invoke?sp=%2Ftriggers\\u0026sig=${sig}"}`],
    ['a URL encoded inside another URL', `https://portal/?next=https%3A%2F%2Fprod%2Finvoke%3Fsp%3D1%26sig%3D${sig}`],
    ['a sig at the very start', `sig=${sig}&sv=1.0`],
    ['a callback URL with sig before sp', `/subscriptions/${'x'}?sig=${sig}&sp=%2Ftriggers`],
  ])('removes %s', (_label, text) => {
    const scrubbed = scrubSecrets(text);
    expect(scrubbed).not.toContain(sig);
    expect(scrubbed).not.toContain(jwt);
    expect(scrubbed).toContain('[REDACTED');
  });

  it('keeps ordinary text, resource IDs and fingerprints', () => {
    const text = `Workflow /subscriptions/1/resourceGroups/rg/providers/Microsoft.Logic/workflows/a: sig ${sigFingerprint(sig)} changed`;
    expect(scrubSecrets(text)).toBe(text);
  });
});

describe('sigFingerprint', () => {
  it('is the first 16 hex chars of SHA-256 of the sig text (docs/design.md §5)', () => {
    expect(sigFingerprint('abc')).toBe('ba7816bf8f01cfea');
    expect(sigFingerprint(sig)).toMatch(/^[0-9a-f]{16}$/);
  });
});
