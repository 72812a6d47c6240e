import { interleaveBySubscription } from '../../src/rotation/runRotation';
import type { RotationTarget } from '../../src/rotation/RotationTarget';
import { SubscriptionWriteBudget, writeBudgetKey } from '../../src/rotation/SubscriptionWriteBudget';

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('SubscriptionWriteBudget: ARM write tokens per subscription', () => {
  it('grants a full bucket at once, then makes the next writer wait for a refill', async () => {
    let now = 0;
    const budget = new SubscriptionWriteBudget({ capacity: 3, refillPerSecond: 1 }, () => now);
    for (let i = 0; i < 3; i++) await budget.take('arm:a');
    let granted = false;
    const waiting = budget.take('arm:a').then(() => (granted = true));
    await settle();
    expect(granted).toBe(false);
    now += 1000;
    await waiting;
    expect(granted).toBe(true);
  });

  it('keeps subscriptions apart: one drained subscription does not hold another', async () => {
    const budget = new SubscriptionWriteBudget({ capacity: 1, refillPerSecond: 0.001 }, () => 0);
    await budget.take('arm:a');
    let grantedB = false;
    await budget.take('arm:b').then(() => (grantedB = true));
    expect(grantedB).toBe(true);
  });

  it("follows ARM's remaining-writes header down, never up", async () => {
    const budget = new SubscriptionWriteBudget({ capacity: 200, refillPerSecond: 0.001 }, () => 0);
    budget.observe('arm:a', 1);
    await budget.take('arm:a');
    let granted = false;
    const controller = new AbortController();
    const waiting = budget.take('arm:a', controller.signal).then(
      () => (granted = true),
      () => 'aborted',
    );
    await settle();
    expect(granted).toBe(false);
    controller.abort();
    expect(await waiting).toBe('aborted');
    budget.observe('arm:b', 500);
    for (let i = 0; i < 200; i++) await budget.take('arm:b');
  });

  it('keys targets by ARM subscription', () => {
    expect(writeBudgetKey('/subscriptions/ABC/resourceGroups/rg/providers/Microsoft.Logic/workflows/x')).toBe('arm:abc');
    expect(writeBudgetKey('/subscriptions/abc/resourceGroups/rg2/providers/Microsoft.Web/sites/s/workflows/y')).toBe('arm:abc');
  });
});

describe('interleaveBySubscription', () => {
  it('takes one target of each subscription in turn', () => {
    const target = (sub: string, name: string) =>
      ({ workflowId: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Logic/workflows/${name}` }) as RotationTarget;
    const targets = [target('a', '1'), target('a', '2'), target('a', '3'), target('b', '1'), target('c', '1'), target('c', '2')];
    expect(interleaveBySubscription(targets)).toEqual([0, 3, 4, 1, 5, 2]);
  });
});
