import { parseCallbackUrl, type CallbackUrl } from './CallbackUrl';
import { TargetRotationError } from './failures';
import type { KeyType } from './KeyType';
import type { OperationOptions, WorkflowGateway } from './ports';
import type { RotationTarget } from './RotationTarget';

/** Lists the trigger's URL for `keyType` and refuses anything that is not a signed trigger URL. */
export async function currentCallbackUrl(
  target: RotationTarget,
  keyType: KeyType,
  gateway: WorkflowGateway,
  options: OperationOptions,
): Promise<CallbackUrl> {
  const listed = parseCallbackUrl(await gateway.listCallbackUrl(target, keyType, options));
  if (!listed) {
    throw new TargetRotationError({
      step: 'verify',
      code: 'UnsignedCallbackUrl',
      message: `listCallbackUrl for trigger '${target.trigger}' of ${target.workflowId} (${keyType} key) returned a URL without sig/sp; the trigger may be restricted to OAuth callers.`,
    });
  }
  return listed;
}
