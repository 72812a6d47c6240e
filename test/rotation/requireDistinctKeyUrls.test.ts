import { parseCallbackUrl, type CallbackUrl } from '../../src/rotation/CallbackUrl';
import { requireDistinctKeyUrls } from '../../src/rotation/requireDistinctKeyUrls';
import { sigFingerprint } from '../../src/rotation/sigFingerprint';
import { TargetRotationError } from '../../src/rotation/failures';
import { ordersTarget as target } from '../support/ordersTarget';

const url = (sig: string): CallbackUrl =>
  parseCallbackUrl(
    `https://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-10-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${sig}`,
  ) as CallbackUrl;

describe('requireDistinctKeyUrls: a host must list each key its own URL', () => {
  it('lets two different URLs pass', () => {
    expect(() => requireDistinctKeyUrls(target, [url('primary-sig'), url('secondary-sig')], 'regenerate')).not.toThrow();
  });

  it('stops the target with KeyTypeIgnored at listBefore, naming the sig by its fingerprint only', () => {
    let thrown: unknown;
    try {
      requireDistinctKeyUrls(target, [url('same-sig'), url('same-sig')], 'republish');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TargetRotationError);
    const failure = (thrown as TargetRotationError).failure;
    expect(failure).toMatchObject({ step: 'listBefore', code: 'KeyTypeIgnored' });
    expect(failure.message).toMatch(
      /ignores keyType in listCallbackUrl.*nothing was regenerated or published.*'orders-manual-url' no longer works.*Fix: /,
    );
    expect(failure.message).toContain(sigFingerprint('same-sig'));
    expect(failure.message).not.toContain('same-sig');
  });
});
