import type { TargetResult } from './TargetResult';

/** One human-readable line per target: fingerprints only, never a sig or URL. */
export function describeTargetResult(result: TargetResult): string {
  const where = `${result.workflowId} (trigger '${result.trigger}', secret '${result.secretName}')`;
  switch (result.action) {
    case 'rotated':
    case 'revoked':
      return `${result.action} ${where}: ${result.keyType} key, reason ${result.reason}, sig ${result.oldSigFingerprint ?? '-'} -> ${result.newSigFingerprint}, secret version ${result.secretVersion}`;
    case 'planned':
      return `planned ${where}: would ${result.reason === 'repair' ? 'republish' : 'regenerate'} the ${result.keyType} key (reason ${result.reason})`;
    case 'skipped':
      return `skipped ${where}: ${result.error?.message ?? result.skipped?.message ?? `not due, the published ${result.keyType} URL works`}`;
    case 'failed':
      return `failed ${where} at step ${result.error?.step}: ${[result.error?.statusCode, result.error?.code].filter((x) => x !== undefined).join(' ')} ${result.error?.message}`.replace(
        /\s+/g,
        ' ',
      );
  }
}
