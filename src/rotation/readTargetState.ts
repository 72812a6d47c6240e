import { describeFailure, TargetRotationError } from './failures';
import type { CallbackUrlStore, OperationOptions } from './ports';
import { isWrittenBySasRotator, readPublicationState, type SecretState } from './publication';
import type { RotationTarget } from './RotationTarget';

/**
 * Reads what is published for a target, asking Key Vault the two questions its latest version
 * cannot answer, before anything is regenerated:
 * - a missing secret may be soft-deleted: it reads as "not found", but its name refuses new
 *   versions, so a first rotation would regenerate a key and then fail to publish, every run;
 * - a latest version without sas-rotator's tags may be one of ours whose tags were replaced by
 *   hand: adopting it would regenerate the key the previous version's URL still uses.
 * Either question left unanswered (403, throttling) stops the target: guessing is what breaks URLs.
 */
export async function readTargetState(
  target: RotationTarget,
  store: CallbackUrlStore,
  now: Date,
  options: OperationOptions = {},
): Promise<SecretState | undefined> {
  const latest = await store.readLatest(target.secretName, options);
  if (!latest) {
    await refuseSoftDeleted(target, store, options);
    return undefined;
  }
  if (!isWrittenBySasRotator(latest.tags)) {
    const ours = await store.findVersion(target.secretName, isWrittenBySasRotator, options);
    if (ours) {
      throw new TargetRotationError({
        step: 'readSecret',
        code: 'UnusableSecret',
        message:
          `Secret '${target.secretName}' of target ${target.workflowId} (trigger '${target.trigger}'): its latest version (${latest.version}) lacks the tag managedBy=sas-rotator, ` +
          `but version ${ours.version} was written by sas-rotator, so the latest version's tags were replaced by hand ('az keyvault secret set-attributes --tags' replaces every tag). ` +
          "Treating it as a foreign secret would regenerate the key that the previous version's URL still uses, so nothing was regenerated or overwritten; a secret sas-rotator wrote is never adopted. " +
          `Fix: put sas-rotator's six tags back on the latest version (managedBy, workflowId, trigger, rotatedAt, sigFingerprint, and keyType = the key that signs its URL), copying them from version ${ours.version} (see docs/operations.md, "UnusableSecret"); a wrong keyType then fails with KeyInUse and touches nothing.`,
      });
    }
  }
  return readPublicationState(target, latest, now);
}

async function refuseSoftDeleted(target: RotationTarget, store: CallbackUrlStore, options: OperationOptions): Promise<void> {
  let deleted;
  try {
    deleted = await store.findDeleted(target.secretName, options);
  } catch (thrown) {
    const failure = describeFailure('readSecret', thrown);
    throw new TargetRotationError({
      step: 'readSecret',
      ...(failure.statusCode !== undefined ? { statusCode: failure.statusCode } : {}),
      code: 'DeletedSecretCheckFailed',
      message:
        `Secret '${target.secretName}' does not exist, and sas-rotator could not check whether it is soft-deleted (${failure.code ?? failure.statusCode ?? 'error'}: ${failure.message}). ` +
        'A soft-deleted name refuses new versions, so nothing was regenerated. ' +
        'Fix: let the identity read deleted secrets on the vault (Key Vault Secrets Officer does), or wait for the vault to answer; the next run checks again.',
    });
  }
  if (deleted) {
    const when = deleted.deletedOn ? ` on ${deleted.deletedOn.toISOString()}` : '';
    const purge = deleted.scheduledPurgeDate ? `; Key Vault purges it on ${deleted.scheduledPurgeDate.toISOString()}` : '';
    throw new TargetRotationError({
      step: 'readSecret',
      code: 'SecretDeleted',
      message:
        `Secret '${target.secretName}' of target ${target.workflowId} was deleted${when} and is soft-deleted${purge}. Its consumers get "not found", and Key Vault refuses a new version until it is recovered or purged, so nothing was regenerated. ` +
        `Fix: recover it (az keyvault secret recover --vault-name <kv> --name ${target.secretName}); the next run then repairs or rotates it as usual. ` +
        `If the secret is meant to go, remove the target, or purge it (az keyvault secret purge --vault-name <kv> --name ${target.secretName}) and the next run starts afresh with a first rotation.`,
    });
  }
}
