import { parseCallbackUrl, type CallbackUrl } from './CallbackUrl';
import { publicationExpiresOn } from './dueDates';
import { TargetRotationError } from './failures';
import { isKeyType, type KeyType } from './KeyType';
import type { CallbackUrlPublication, PublishedSecret } from './ports';
import type { RotationTarget } from './RotationTarget';
import { scrubSecrets } from './scrubSecrets';
import { sigFingerprint } from './sigFingerprint';

/**
 * The Key Vault secret as sas-rotator writes and reads it (docs/design.md §5): one version per
 * publication, the callback URL as its value, and tags that are the whole rotation state. Writing
 * (`buildPublication`) and reading (`readPublicationState`) live together so they cannot drift.
 */

export const managedByTagValue = 'sas-rotator';
export const callbackUrlContentType = 'text/uri-list';

/** The tags of every version sas-rotator writes (a type, not an interface, so it is a tag record). */
export type PublicationTags = {
  /** The key that signs the URL in the value. */
  readonly keyType: KeyType;
  readonly workflowId: string;
  readonly trigger: string;
  /** ISO 8601 UTC: when the URL was published; the next rotation is due an interval later. */
  readonly rotatedAt: string;
  readonly sigFingerprint: string;
  /** Marks the secret as sas-rotator's: without it the secret is foreign (adopted, or refused). */
  readonly managedBy: typeof managedByTagValue;
};

/** Whether sas-rotator wrote the version with these tags. */
export function isWrittenBySasRotator(tags: Readonly<Record<string, string>>): boolean {
  return tags.managedBy === managedByTagValue;
}

/** The workflow whose URL sas-rotator published in a version with these tags; undefined for a foreign version. */
export function publishedWorkflowId(tags: Readonly<Record<string, string>>): string | undefined {
  return isWrittenBySasRotator(tags) ? tags.workflowId : undefined;
}

/** The new secret version for a freshly signed URL: the tags are the rotation state. */
export function buildPublication(
  target: RotationTarget,
  keyType: KeyType,
  callbackUrl: CallbackUrl,
  rotatedAt: Date,
): CallbackUrlPublication {
  const tags: PublicationTags = {
    keyType,
    workflowId: target.workflowId,
    trigger: target.trigger,
    rotatedAt: rotatedAt.toISOString(),
    sigFingerprint: sigFingerprint(callbackUrl.sig),
    managedBy: managedByTagValue,
  };
  return {
    value: callbackUrl.value,
    contentType: callbackUrlContentType,
    tags,
    expiresOn: publicationExpiresOn(rotatedAt, target.intervalDays),
  };
}

/** What the latest secret version says about the target, read from its value and tags. */
export interface PublicationState {
  readonly kind: 'published';
  readonly secretVersion: string;
  /** The key that signs the published URL: the one a scheduled rotation never regenerates. */
  readonly keyType: KeyType;
  readonly rotatedAt: Date;
  readonly expiresOn: Date | undefined;
  readonly callbackUrl: CallbackUrl;
}

/** A secret sas-rotator did not create, taken over because the target says `adopt: true`. */
export interface AdoptedSecret {
  readonly kind: 'adopted';
  /** The URL it holds, if it is one: its key must not be the one regenerated first. */
  readonly callbackUrl: CallbackUrl | undefined;
}

/** What a target's existing secret holds; a target without a secret has no state (undefined). */
export type SecretState = PublicationState | AdoptedSecret;

/** How to edit a tag without turning the secret into a foreign one: the CLI's `--tags` replaces them all. */
const tagEditNote = "'az keyvault secret set-attributes --tags' replaces every tag: pass all of them, see docs/operations.md";
const restoreTags = `put sas-rotator's tags back on the latest version (${tagEditNote}, "UnusableSecret")`;
/** Clock skew we tolerate between this host and whoever wrote `rotatedAt`. */
const allowedClockSkewMs = 5 * 60 * 1000;

/**
 * Reads the state of a target from its secret. Undefined means no secret yet. A secret we cannot
 * trust stops the target before anything is regenerated or overwritten.
 */
export function readPublicationState(target: RotationTarget, secret: PublishedSecret | undefined, now: Date): SecretState | undefined {
  if (!secret) {
    return undefined;
  }
  const tag = (name: keyof PublicationTags): string | undefined => secret.tags[name];
  const problem = (what: string, fix: string): TargetRotationError =>
    new TargetRotationError({
      step: 'readSecret',
      code: 'UnusableSecret',
      message: `Secret '${secret.secretName}' of target ${target.workflowId} (trigger '${target.trigger}'): ${what}. Nothing was regenerated or overwritten. Fix: ${fix}.`,
    });

  if (!isWrittenBySasRotator(secret.tags)) {
    if (target.adopt) {
      return { kind: 'adopted', callbackUrl: secret.value === undefined ? undefined : parseCallbackUrl(secret.value) };
    }
    // Reached only when no version carries managedBy=sas-rotator (readTargetState checked), so
    // adopting cannot regenerate a key that an earlier URL of ours still uses.
    throw problem(
      `the secret exists but was not created by sas-rotator (no version carries managedBy=sas-rotator; the latest's tag managedBy is ${describeTag(tag('managedBy'))})`,
      `give the target another secretName, or set "adopt": true on the target to let sas-rotator take the secret over (its first rotation keeps the stored URL working)`,
    );
  }
  const workflowIdTag = tag('workflowId');
  if (workflowIdTag === undefined || workflowIdTag.toLowerCase() !== target.workflowId.toLowerCase()) {
    throw problem(
      `tag workflowId is ${describeTag(workflowIdTag)}, not this target's workflow`,
      workflowIdTag === undefined ? restoreTags : 'give each target its own secretName',
    );
  }
  const triggerTag = tag('trigger');
  if (triggerTag === undefined || triggerTag.toLowerCase() !== target.trigger.toLowerCase()) {
    throw problem(
      `tag trigger is ${describeTag(triggerTag)}, not '${target.trigger}'`,
      triggerTag === undefined ? restoreTags : 'give each target its own secretName',
    );
  }
  const keyType = tag('keyType');
  if (!isKeyType(keyType)) {
    throw problem(
      `tag keyType is ${describeTag(keyType)}; expected 'Primary' or 'Secondary'`,
      // Not "delete the secret": a deleted secret stays soft-deleted and blocks every run until recovered.
      `set the keyType tag to the key that signs the stored URL, keeping the other tags (${tagEditNote}); a wrong guess fails with KeyInUse and touches nothing`,
    );
  }
  const rotatedAtTag = tag('rotatedAt');
  const rotatedAt = rotatedAtTag === undefined ? undefined : parseIsoTimestamp(rotatedAtTag);
  if (!rotatedAt) {
    throw problem(
      `tag rotatedAt is ${describeTag(rotatedAtTag)}; expected an ISO 8601 UTC time`,
      `correct the rotatedAt tag, keeping the other tags (${tagEditNote})`,
    );
  }
  if (rotatedAt.getTime() > now.getTime() + allowedClockSkewMs) {
    throw problem(`tag rotatedAt (${rotatedAtTag}) is in the future`, "correct the rotatedAt tag or this host's clock");
  }
  const callbackUrl = secret.value === undefined ? undefined : parseCallbackUrl(secret.value);
  if (!callbackUrl) {
    throw problem(
      'the secret value is not a callback URL with a sig',
      'write the trigger\'s unversioned callback URL for the key in keyType as a new version with sas-rotator\'s tags (docs/operations.md, "UnusableSecret"), or give the target another secretName',
    );
  }
  return { kind: 'published', secretVersion: secret.version, keyType, rotatedAt, expiresOn: secret.expiresOn, callbackUrl };
}

function parseIsoTimestamp(text: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    return undefined;
  }
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Long enough for any real resource ID, short enough to keep a hostile tag from flooding logs. */
const maxShownTagLength = 280;

function describeTag(value: string | undefined): string {
  if (value === undefined) {
    return 'missing';
  }
  const scrubbed = scrubSecrets(value);
  const shown = scrubbed.length > maxShownTagLength ? `${scrubbed.slice(0, maxShownTagLength)}…` : scrubbed;
  return `'${shown}'`;
}
