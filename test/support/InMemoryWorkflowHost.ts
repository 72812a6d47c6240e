import { RestError } from '@azure/core-rest-pipeline';
import { createHmac, randomBytes } from 'node:crypto';
import type { KeyType } from '../../src/rotation/KeyType';
import type { OperationOptions, WorkflowGateway } from '../../src/rotation/ports';
import type { RotationTarget } from '../../src/rotation/RotationTarget';

/**
 * A workflow host for unit tests of the protocol: keeps two HMAC keys per workflow and signs
 * trigger URLs with them, so "the URL works" has the same meaning as in Azure. Integration tests
 * use the emulator and the real SDK instead.
 */
export class InMemoryWorkflowHost implements WorkflowGateway {
  readonly keys = new Map<string, Record<KeyType, Buffer>>();
  readonly calls: string[] = [];
  /** Make the next calls of an operation misbehave. */
  regenerateBehaviour: 'normal' | 'noop' | 'failAfterChange' | 'fail' = 'normal';
  failListFor = new Set<string>();

  addWorkflow(workflowId: string): void {
    this.keys.set(workflowId.toLowerCase(), { Primary: randomBytes(32), Secondary: randomBytes(32) });
  }

  async listCallbackUrl(target: RotationTarget, keyType: KeyType, _options?: OperationOptions): Promise<string> {
    this.calls.push(`list ${keyType}`);
    if (this.failListFor.has(target.workflowId)) {
      throw new RestError("The 'ListCallbackUrl' API is not supported by triggers of type 'Recurrence'.", {
        statusCode: 400,
        code: 'ApiNotSupported',
      });
    }
    return this.urlFor(target.workflowId, target.trigger, keyType);
  }

  async regenerateAccessKey(target: RotationTarget, keyType: KeyType, _options?: OperationOptions): Promise<void> {
    this.calls.push(`regenerate ${keyType}`);
    const behaviour = this.regenerateBehaviour;
    if (behaviour === 'noop') return;
    if (behaviour === 'fail') throw new RestError('Internal error', { statusCode: 500, code: 'InternalServerError' });
    this.workflowKeys(target.workflowId)[keyType] = randomBytes(32);
    if (behaviour === 'failAfterChange') {
      throw new RestError('Gateway timeout', { statusCode: 504, code: 'GatewayTimeout' });
    }
  }

  urlFor(workflowId: string, trigger: string, keyType: KeyType): string {
    const sp = `/triggers/${trigger}/run`;
    const sig = createHmac('sha256', this.workflowKeys(workflowId)[keyType]).update(`${workflowId}\n${sp}`).digest('base64url');
    return `https://prod-00.westeurope.logic.azure.com:443/workflows/abc/triggers/${trigger}/paths/invoke?api-version=2016-10-01&sp=${encodeURIComponent(sp)}&sv=1.0&sig=${sig}`;
  }

  /** The oracle: would Azure accept this URL now? */
  works(workflowId: string, trigger: string, url: string): boolean {
    return url === this.urlFor(workflowId, trigger, 'Primary') || url === this.urlFor(workflowId, trigger, 'Secondary');
  }

  private workflowKeys(workflowId: string): Record<KeyType, Buffer> {
    const keys = this.keys.get(workflowId.toLowerCase());
    if (!keys) throw new RestError(`The Resource '${workflowId}' was not found.`, { statusCode: 404, code: 'ResourceNotFound' });
    return keys;
  }
}
