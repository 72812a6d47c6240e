import { TargetRotationError } from '../../src/rotation/failures';
import type { PublishedSecret } from '../../src/rotation/ports';
import { readPublicationState } from '../../src/rotation/publication';
import type { RotationTarget } from '../../src/rotation/RotationTarget';
import { errorThrownBy } from '../support/errorThrownBy';
import { ordersTarget } from '../support/ordersTarget';

const target: RotationTarget = { ...ordersTarget, secretName: 'orders-url' };
const { workflowId } = target;
const now = new Date('2026-03-01T00:00:00Z');
const url =
  'https://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-10-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde';
const goodTags = {
  keyType: 'Secondary',
  workflowId,
  trigger: 'manual',
  rotatedAt: '2026-02-01T03:00:00.000Z',
  sigFingerprint: '0123456789abcdef',
  managedBy: 'sas-rotator',
};

function secret(tags: Record<string, string>, value: string | undefined = url): PublishedSecret {
  return { secretName: 'orders-url', version: 'v1', value, contentType: 'text/uri-list', tags, expiresOn: undefined };
}

function problemWith(tags: Record<string, string>, value?: string, adopt = false): string {
  return errorThrownBy(TargetRotationError, () => readPublicationState({ ...target, adopt }, secret(tags, value), now)).message;
}

describe('readPublicationState: what the secret says about a target', () => {
  it('reads key in use and last rotation from the tags', () => {
    const state = readPublicationState(target, secret(goodTags), now);
    expect(state).toMatchObject({ keyType: 'Secondary', rotatedAt: new Date('2026-02-01T03:00:00.000Z'), secretVersion: 'v1' });
  });

  it('treats a missing secret as never rotated', () => {
    expect(readPublicationState(target, undefined, now)).toBeUndefined();
  });

  it.each([
    [{ ...goodTags, keyType: 'Tertiary' }, /tag keyType is 'Tertiary'; expected 'Primary' or 'Secondary'/],
    [{ ...goodTags, rotatedAt: 'yesterday' }, /tag rotatedAt is 'yesterday'/],
    [{ ...goodTags, rotatedAt: '2027-01-01T00:00:00Z' }, /rotatedAt .* is in the future/],
    [{ ...goodTags, workflowId: '/subscriptions/x/other' }, /tag workflowId is/],
    [{ ...goodTags, trigger: 'other' }, /tag trigger is 'other'/],
    [{ keyType: 'Primary' }, /was not created by sas-rotator \(no version carries/],
  ])('refuses a secret with bad tags %j, naming the secret, the target and the fix', (tags, expected) => {
    const message = problemWith(tags);
    expect(message).toMatch(expected);
    expect(message).toContain("Secret 'orders-url'");
    expect(message).toContain(workflowId);
    expect(message).toMatch(/Fix: /);
  });

  it('refuses a secret whose value is not a callback URL', () => {
    expect(problemWith(goodTags, 'not a url')).toMatch(/not a callback URL/);
  });

  it('adopts a foreign secret only when the target opts in, remembering the URL it holds', () => {
    expect(readPublicationState({ ...target, adopt: true }, secret({}), now)).toMatchObject({
      kind: 'adopted',
      callbackUrl: { signedPath: '/triggers/manual/run' },
    });
  });

  it('never echoes a callback URL hidden in a hostile tag', () => {
    const message = problemWith({ ...goodTags, keyType: url });
    expect(message).not.toContain('AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde');
    expect(message).not.toContain('AbCdEfGhIj');
  });
});
