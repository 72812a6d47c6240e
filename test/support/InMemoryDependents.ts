import { RestError } from '@azure/core-rest-pipeline';
import type { CallbackUrl } from '../../src/rotation/CallbackUrl';
import { holdingFormOf, type Dependent, type DependentHolding } from '../../src/rotation/Dependent';
import type { DependentGateway, OperationOptions } from '../../src/rotation/ports';
import type { RotationTarget } from '../../src/rotation/RotationTarget';

/** What one in-memory dependent stores: a URL or a bare sig, or a Key Vault reference. */
export type StoredDependent = { value: string } | { keyVaultSecretIdentifier: string };

/**
 * Dependents in memory, for unit tests of the protocol: each holds text (a URL or a sig) the way an
 * APIM named value does. Integration tests use the emulator and the real SDK clients instead.
 */
export class InMemoryDependents implements DependentGateway {
  readonly stored = new Map<string, StoredDependent>();
  readonly calls: string[] = [];
  /** Resource IDs whose update (or read) fails with the given status. */
  readonly failUpdate = new Map<string, number>();
  readonly failRead = new Map<string, number>();

  set(resourceId: string, stored: StoredDependent): void {
    this.stored.set(resourceId.toLowerCase(), stored);
  }

  valueOf(resourceId: string): string | undefined {
    const stored = this.stored.get(resourceId.toLowerCase());
    return stored && 'value' in stored ? stored.value : undefined;
  }

  async read(dependent: Dependent, _target: RotationTarget, _options?: OperationOptions): Promise<DependentHolding> {
    this.calls.push(`read ${dependent.resourceId}`);
    const status = this.failRead.get(dependent.resourceId);
    if (status)
      throw new RestError('The client does not have authorization to perform action.', { statusCode: status, code: 'AuthorizationFailed' });
    const stored = this.stored.get(dependent.resourceId.toLowerCase());
    if (!stored) throw new RestError('Resource not found.', { statusCode: 404, code: 'ResourceNotFound' });
    if ('keyVaultSecretIdentifier' in stored) return { form: 'keyVaultReference', secretIdentifier: stored.keyVaultSecretIdentifier };
    const held = holdingFormOf(stored.value);
    if (!held) throw new Error('unrecognised value');
    return held.form === 'url' ? { form: 'url', sigs: [held.sig], endpoints: [held.endpoint] } : { form: 'sig', sigs: [held.sig] };
  }

  async update(dependent: Dependent, target: RotationTarget, url: CallbackUrl, options?: OperationOptions): Promise<void> {
    const holding = await this.read(dependent, target, options);
    this.calls.push(`update ${dependent.resourceId}`);
    const status = this.failUpdate.get(dependent.resourceId);
    if (status)
      throw new RestError('The client does not have authorization to perform action.', { statusCode: status, code: 'AuthorizationFailed' });
    if (holding.form === 'keyVaultReference') throw new Error('a Key Vault reference is never written');
    this.set(dependent.resourceId, { value: holding.form === 'sig' ? url.sig : url.value });
  }
}
