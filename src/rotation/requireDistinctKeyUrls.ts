import type { CallbackUrl } from './CallbackUrl';
import { TargetRotationError } from './failures';
import type { RotationTarget } from './RotationTarget';
import { sigFingerprint } from './sigFingerprint';

/** Where the protocol found the two keys' URLs identical; the message says what that left untouched. */
export type KeyTypeIgnoredSituation = 'regenerate' | 'republish' | 'keyInUse';

/**
 * The trigger's listCallbackUrl takes the key as a `{keyType}` body that Microsoft documents for
 * Consumption only and no OpenAPI spec declares. A host that ignored it would answer the Primary
 * URL whichever key was asked for: then "the other key's URL" is the one consumers use, and "its
 * sig changed" is judged against the wrong URL. Two listings for different keys that come back
 * with the same sig prove it; the target stops with `KeyTypeIgnored` before anything is touched.
 */
export function requireDistinctKeyUrls(
  target: RotationTarget,
  urls: readonly [CallbackUrl, CallbackUrl],
  situation: KeyTypeIgnoredSituation,
): void {
  const [first, second] = urls;
  if (first.sig !== second.sig) {
    return;
  }
  throw new TargetRotationError({
    step: 'listBefore',
    code: 'KeyTypeIgnored',
    message:
      `the host of ${target.workflowId} ignores keyType in listCallbackUrl: it answered the same URL of trigger '${target.trigger}' for the Primary and the Secondary key (sig fingerprint ${sigFingerprint(first.sig)}), ` +
      `so sas-rotator cannot tell the keys' URLs apart; ${untouched(target)[situation]} ` +
      `Fix: take this workflow out of rotation (remove it from ROTATION_TARGETS, or its sas-rotation tag) and rotate its keys by hand until its host honours keyType; see docs/operations.md, "KeyTypeIgnored".`,
  });
}

function untouched(target: RotationTarget): Record<KeyTypeIgnoredSituation, string> {
  return {
    regenerate: 'nothing was regenerated or published.',
    // A repair is due because the published URL stopped working: its consumers need a URL by hand.
    republish: `nothing was regenerated or published, and the URL in secret '${target.secretName}' no longer works: give its consumers the workflow's current URL by hand.`,
    keyInUse: `nothing was regenerated or published, and the URL in secret '${target.secretName}' still works.`,
  };
}
