import type { CallbackUrl } from './CallbackUrl';
import { createdOnFirstUse } from './createdOnFirstUse';
import type { Dependent, DependentHolding, DependentKind } from './Dependent';
import type { DependentGateway, OperationOptions } from './ports';
import type { RotationTarget } from './RotationTarget';

/**
 * One adapter per dependent kind behind the protocol's single DependentGateway, created on first
 * use: an estate without API Management dependents never loads @azure/arm-apimanagement.
 */
export class KindRoutingDependentGateway implements DependentGateway {
  private readonly gateway: (kind: DependentKind) => DependentGateway;

  constructor(createGateway: (kind: DependentKind) => DependentGateway) {
    this.gateway = createdOnFirstUse(createGateway);
  }

  read(dependent: Dependent, target: RotationTarget, options?: OperationOptions): Promise<DependentHolding> {
    return this.gateway(dependent.kind).read(dependent, target, options);
  }

  update(dependent: Dependent, target: RotationTarget, url: CallbackUrl, options?: OperationOptions): Promise<void> {
    return this.gateway(dependent.kind).update(dependent, target, url, options);
  }
}
