import type { KeyType } from './KeyType';
import type { OperationOptions, WorkflowGateway } from './ports';
import type { RotationTarget } from './RotationTarget';
import { writeBudgetKey, type SubscriptionWriteBudget } from './SubscriptionWriteBudget';

/** Every write-counted call (both are POST actions) waits for its subscription's budget first. */
export class BudgetedWorkflowGateway implements WorkflowGateway {
  constructor(
    private readonly inner: WorkflowGateway,
    private readonly budget: SubscriptionWriteBudget,
  ) {}

  async listCallbackUrl(target: RotationTarget, keyType: KeyType, options: OperationOptions = {}): Promise<string> {
    await this.budget.take(writeBudgetKey(target.workflowId), options.abortSignal);
    return this.inner.listCallbackUrl(target, keyType, options);
  }

  async regenerateAccessKey(target: RotationTarget, keyType: KeyType, options: OperationOptions = {}): Promise<void> {
    await this.budget.take(writeBudgetKey(target.workflowId), options.abortSignal);
    return this.inner.regenerateAccessKey(target, keyType, options);
  }
}
