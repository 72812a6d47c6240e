import type { CallbackUrl } from './CallbackUrl';
import { publicationExpiresOn } from './dueDates';
import type { KeyType } from './KeyType';
import type { CallbackUrlPublication } from './ports';
import type { RotationTarget } from './RotationTarget';
import { sigFingerprint } from './sigFingerprint';

export const managedByTagValue = 'sas-rotator';
export const callbackUrlContentType = 'text/uri-list';

/** The new secret version for a freshly signed URL (docs/design.md §5): the tags are the rotation state. */
export function buildPublication(
  target: RotationTarget,
  keyType: KeyType,
  callbackUrl: CallbackUrl,
  rotatedAt: Date,
): CallbackUrlPublication {
  return {
    value: callbackUrl.value,
    contentType: callbackUrlContentType,
    tags: {
      keyType,
      workflowId: target.workflowId,
      trigger: target.trigger,
      rotatedAt: rotatedAt.toISOString(),
      sigFingerprint: sigFingerprint(callbackUrl.sig),
      managedBy: managedByTagValue,
    },
    expiresOn: publicationExpiresOn(rotatedAt, target.intervalDays),
  };
}
