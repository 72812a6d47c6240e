import { createdOnFirstUse } from './createdOnFirstUse';
import type { KeyType } from './KeyType';
import type { OperationOptions, WorkflowGateway } from './ports';
import type { RotationTarget } from './RotationTarget';
import type { WorkflowHost } from './WorkflowHost';

/**
 * One gateway per workflow host behind the protocol's single WorkflowGateway: each target goes to
 * the host its resource ID names. Gateways are created on first use, so an estate without Standard
 * workflows never loads @azure/arm-appservice (cold start).
 */
export class HostRoutingWorkflowGateway implements WorkflowGateway {
  private readonly gateway: (host: WorkflowHost) => WorkflowGateway;

  constructor(createGateway: (host: WorkflowHost) => WorkflowGateway) {
    this.gateway = createdOnFirstUse(createGateway);
  }

  listCallbackUrl(target: RotationTarget, keyType: KeyType, options?: OperationOptions): Promise<string> {
    return this.gateway(target.host).listCallbackUrl(target, keyType, options);
  }

  regenerateAccessKey(target: RotationTarget, keyType: KeyType, options?: OperationOptions): Promise<void> {
    return this.gateway(target.host).regenerateAccessKey(target, keyType, options);
  }
}
