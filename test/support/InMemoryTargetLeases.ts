import type { OperationOptions, TargetLeaseHandle, TargetLeases } from '../../src/rotation/ports';
import type { RotationTarget } from '../../src/rotation/RotationTarget';

/** Leases in memory for unit tests of the protocol; the blob implementation is tested against Azurite. */
export class InMemoryTargetLeases implements TargetLeases {
  readonly held = new Map<string, AbortController>();
  readonly released: string[] = [];

  async tryAcquire(target: RotationTarget, _options?: OperationOptions): Promise<TargetLeaseHandle | undefined> {
    const key = target.workflowId.toLowerCase();
    if (this.held.has(key)) return undefined;
    const lost = new AbortController();
    this.held.set(key, lost);
    return {
      lostSignal: lost.signal,
      release: async () => {
        if (this.held.get(key) === lost) {
          this.held.delete(key);
          this.released.push(key);
        }
      },
    };
  }

  /** Another writer took the lease over (it expired while we were stalled, say). */
  lose(workflowId: string): void {
    this.held.get(workflowId.toLowerCase())?.abort(new Error('Lease lost'));
  }
}
