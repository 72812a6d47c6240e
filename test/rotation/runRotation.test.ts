import type { KeyType } from '../../src/rotation/KeyType';
import type { OperationOptions, WorkflowGateway } from '../../src/rotation/ports';
import type { RotationTarget } from '../../src/rotation/RotationTarget';
import { runRotation } from '../../src/rotation/runRotation';
import { InMemoryCallbackUrlStore } from '../support/InMemoryCallbackUrlStore';
import { InMemoryWorkflowHost } from '../support/InMemoryWorkflowHost';
import { RecordingTelemetry } from '../support/RecordingTelemetry';

function estate(count: number) {
  const host = new InMemoryWorkflowHost();
  const targets: RotationTarget[] = Array.from({ length: count }, (_, i) => {
    const workflowId = `/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Logic/workflows/wf-${i}`;
    host.addWorkflow(workflowId);
    return {
      workflowId,
      trigger: 'manual',
      secretName: `wf-${i}-manual-url`,
      intervalDays: 30,
      adopt: false,
      host: 'consumption' as const,
    };
  });
  return { host, targets, store: new InMemoryCallbackUrlStore(), telemetry: new RecordingTelemetry() };
}

/** Counts how many gateway calls are in flight at once. */
class ConcurrencyProbe implements WorkflowGateway {
  inFlight = 0;
  maxInFlight = 0;
  constructor(private readonly inner: WorkflowGateway) {}
  private async measure<T>(call: () => Promise<T>): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    try {
      return await call();
    } finally {
      this.inFlight--;
    }
  }
  listCallbackUrl(target: RotationTarget, keyType: KeyType, options?: OperationOptions): Promise<string> {
    return this.measure(() => this.inner.listCallbackUrl(target, keyType, options));
  }
  regenerateAccessKey(target: RotationTarget, keyType: KeyType, options?: OperationOptions): Promise<void> {
    return this.measure(() => this.inner.regenerateAccessKey(target, keyType, options));
  }
}

describe('runRotation: a whole run', () => {
  it('never has more targets in flight than ROTATION_CONCURRENCY, and rotates them all', async () => {
    const { host, targets, store, telemetry } = estate(20);
    const probe = new ConcurrencyProbe(host);

    const result = await runRotation(
      targets,
      { gateway: probe, store, telemetry, now: () => new Date() },
      { mode: 'rotate', invocationId: 'run', concurrency: 3 },
    );

    expect(probe.maxInFlight).toBe(3);
    expect(result.outcome).toBe('Succeeded');
    expect(result.targets.map((t) => t.action)).toEqual(Array(20).fill('rotated'));
    expect(result.targets.map((t) => t.workflowId)).toEqual(targets.map((t) => t.workflowId));
  });

  it('summarises the run once in telemetry, with counts and outcome', async () => {
    const { host, targets, store, telemetry } = estate(3);
    host.failListFor.add(targets[1]?.workflowId as string);

    const result = await runRotation(
      targets,
      { gateway: host, store, telemetry, now: () => new Date() },
      { mode: 'rotate', invocationId: 'run-2', concurrency: 8, isPastDue: true },
    );

    expect(result.outcome).toBe('PartiallyFailed');
    expect(telemetry.runs).toEqual([
      expect.objectContaining({
        outcome: 'PartiallyFailed',
        invocationId: 'run-2',
        isPastDue: true,
        targets: 3,
        rotated: 2,
        skipped: 0,
        failed: 1,
      }),
    ]);
    expect(telemetry.failed).toHaveLength(1);
  });

  it.each([
    [[], 'NothingDue'],
    [['rotated'], 'Succeeded'],
    [['failed'], 'Failed'],
    [['skipped', 'skipped'], 'NothingDue'],
  ])('outcome of %j is %s', async (_actions, outcome) => {
    const { runOutcome } = await import('../../src/rotation/runRotation');
    const results = (_actions as string[]).map((action) => ({ action }) as never);
    expect(runOutcome(results)).toBe(outcome);
  });

  it('starts no target once the deadline has passed; those are skipped for the next run, not failed', async () => {
    const { host, targets, store, telemetry } = estate(4);
    const deadline = new AbortController();

    const result = await runRotation(
      targets,
      { gateway: host, store, telemetry, now: () => new Date() },
      {
        mode: 'rotate',
        invocationId: 'late',
        concurrency: 1,
        abortSignal: deadline.signal,
        onTargetDone: (_result, done) => {
          if (done === 1) deadline.abort();
        },
      },
    );

    expect(result.targets.map((t) => t.action)).toEqual(['rotated', 'skipped', 'skipped', 'skipped']);
    expect(result.targets[1]?.error?.code).toBe('DeadlineReached');
    expect(store.latest('wf-1-manual-url')).toBeUndefined();
    // The alerts query SasKeyRotationFailed: each target left unstarted is one, with step and error code.
    expect(telemetry.failed.map((e) => [e.workflowId, e.step, e.errorCode, e.invocationId])).toEqual(
      targets.slice(1).map((t) => [t.workflowId, 'readSecret', 'DeadlineReached', 'late']),
    );
    expect(telemetry.runs).toEqual([expect.objectContaining({ outcome: 'PartiallyFailed', failed: 3 })]);
  });

  it('records no telemetry for a dry run', async () => {
    const { host, targets, store, telemetry } = estate(2);
    await runRotation(
      targets,
      { gateway: host, store, telemetry, now: () => new Date() },
      { mode: 'dryRun', invocationId: 'dry', concurrency: 2 },
    );
    expect([telemetry.rotated, telemetry.failed, telemetry.runs]).toEqual([[], [], []]);
  });

  it('starts targets of subscriptions with write budget before those of a throttled one', async () => {
    const host = new InMemoryWorkflowHost();
    const target = (sub: string, i: number): RotationTarget => {
      const workflowId = `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Logic/workflows/wf-${i}`;
      host.addWorkflow(workflowId);
      return { workflowId, host: 'consumption', trigger: 'manual', secretName: `${sub}-${i}`, intervalDays: 30, adopt: false };
    };
    const targets = [target('a', 1), target('a', 2), target('a', 3), target('b', 1), target('b', 2), target('b', 3)];
    const started: string[] = [];
    const list = host.listCallbackUrl.bind(host);
    host.listCallbackUrl = async (t, key, o) => {
      if (!started.includes(t.secretName)) started.push(t.secretName);
      return list(t, key, o);
    };

    await runRotation(
      targets,
      {
        gateway: host,
        store: new InMemoryCallbackUrlStore(),
        telemetry: new RecordingTelemetry(),
        now: () => new Date(),
        writeBudget: { available: (key) => key !== 'arm:a' },
      },
      { mode: 'rotate', invocationId: 'budget', concurrency: 1 },
    );

    expect(started).toEqual(['b-1', 'b-2', 'b-3', 'a-1', 'a-2', 'a-3']);
  });
});
