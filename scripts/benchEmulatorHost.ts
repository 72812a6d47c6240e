/**
 * The emulator in a process of its own, for `npm run bench`: so that the rotator's peak RSS is
 * measured without the emulator's state (workflows, secret versions, request records) in the same
 * heap, and so that the two share the machine's cores as they would share nothing in Azure. Talks to
 * its parent over IPC: it seeds the estate, answers with the environment and the targets, and reports
 * request statistics when asked.
 */
import { startEmulator, type EmulatorOptions } from '../emulator/index';

export interface BenchEstate {
  readonly kind: 'seed';
  readonly options: EmulatorOptions;
  readonly targets: number;
  readonly subscriptions: number;
  readonly prefix: string;
  /** Tags of every workflow (discovery tags for the discovery scenario). */
  readonly tags?: Readonly<Record<string, string>>;
  /** A management group that holds every subscription of the estate. */
  readonly managementGroupId?: string;
}

/** The requests the emulator received since a mark (`since`, an index into its request log). */
export interface BenchRequestStats {
  readonly kind: 'stats';
  /** The index the next request will get: pass it as `since` to count what follows. */
  readonly mark: number;
  readonly requests: number;
  readonly throttled429: number;
  /**
   * Requests per `service:operationId`, without those answered 401: the SDKs' unauthenticated challenge probes
   * (Key Vault's first request) are no transaction a service limits.
   */
  readonly byOperation: Readonly<Record<string, number>>;
  /** The most requests any one subscription received, reads (GET) and writes (anything else) apart. */
  readonly maxPerSubscription: { readonly reads: number; readonly writes: number };
}

export function benchSubscriptionId(i: number): string {
  return `${(0x10000000 + i).toString(16)}-0000-4000-8000-000000000000`;
}

async function main(): Promise<void> {
  const request = await new Promise<BenchEstate>((resolve) => process.once('message', (message) => resolve(message as BenchEstate)));
  const emulator = await startEmulator(request.options);
  const targets = Array.from({ length: request.targets }, (_, i) => {
    const name = `${request.prefix}-${i}`;
    const subscriptionId = benchSubscriptionId(i % request.subscriptions);
    const workflowId = emulator.logic.addWorkflow({
      subscriptionId,
      resourceGroup: 'rg-bench',
      name,
      ...(request.tags ? { tags: { ...request.tags } } : {}),
    });
    return { workflowId, secretName: `${name}-url` };
  });
  if (request.managementGroupId) {
    emulator.resourceGraph.addManagementGroup(
      request.managementGroupId,
      Array.from({ length: request.subscriptions }, (_, i) => benchSubscriptionId(i)),
    );
  }
  process.send?.({ kind: 'ready', environment: emulator.environment(), targets });
  process.on('message', (message: { kind: string; since?: number }) => {
    if (message.kind !== 'stats') return;
    const records = emulator.requests.slice(message.since ?? 0);
    const byOperation: Record<string, number> = {};
    const perSubscription = new Map<string, { reads: number; writes: number }>();
    for (const record of records) {
      if (record.status === 401) continue;
      const key = `${record.service}:${record.operationId}`;
      byOperation[key] = (byOperation[key] ?? 0) + 1;
      if (record.service === 'arm' && record.subscriptionId) {
        const counts = perSubscription.get(record.subscriptionId) ?? { reads: 0, writes: 0 };
        counts[record.method === 'GET' ? 'reads' : 'writes'] += 1;
        perSubscription.set(record.subscriptionId, counts);
      }
    }
    const stats: BenchRequestStats = {
      kind: 'stats',
      mark: emulator.requests.length,
      requests: records.length,
      throttled429: records.filter((r) => r.status === 429).length,
      byOperation,
      maxPerSubscription: {
        reads: Math.max(0, ...[...perSubscription.values()].map((c) => c.reads)),
        writes: Math.max(0, ...[...perSubscription.values()].map((c) => c.writes)),
      },
    };
    process.send?.(stats);
  });
  process.once('disconnect', () => {
    void emulator.stop().then(() => process.exit(0));
  });
}

if (require.main === module) void main();
