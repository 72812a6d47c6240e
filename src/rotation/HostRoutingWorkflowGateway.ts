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
  private readonly gateways = new Map<WorkflowHost, WorkflowGateway>();

  constructor(private readonly createGateway: (host: WorkflowHost) => WorkflowGateway) {}

  listCallbackUrl(target: RotationTarget, keyType: KeyType, options?: OperationOptions): Promise<string> {
    return this.gateway(target.host).listCallbackUrl(target, keyType, options);
  }

  regenerateAccessKey(target: RotationTarget, keyType: KeyType, options?: OperationOptions): Promise<void> {
    return this.gateway(target.host).regenerateAccessKey(target, keyType, options);
  }

  private gateway(host: WorkflowHost): WorkflowGateway {
    let gateway = this.gateways.get(host);
    if (!gateway) {
      gateway = this.createGateway(host);
      this.gateways.set(host, gateway);
    }
    return gateway;
  }
}
