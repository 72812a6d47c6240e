import { minimumShare, shareWonBackPerAdmission, TokenBudget } from '../../src/rotation/TokenBudget';

describe('TokenBudget: our copy of a rate limit', () => {
  it('a pause longer than setTimeout can hold is waited with few timers, not a 1 ms busy loop', async () => {
    const budget = new TokenBudget({ capacity: 1, refillPerSecond: 1 });
    await budget.take('k');
    // Retry-After of 30 days (2,592,000 s): more than setTimeout's 2^31-1 ms, which Node clamps to 1 ms.
    budget.throttled('k', 30 * 24 * 3600 * 1000);
    const timers = jest.spyOn(global, 'setTimeout');
    const controller = new AbortController();
    const waiting = budget.take('k', controller.signal).then(
      () => 'granted',
      () => 'aborted',
    );
    await new Promise((resolve) => setImmediate(resolve));
    const before = timers.mock.calls.length;
    await new Promise((resolve) => {
      const end = Date.now() + 300;
      const spin = () => (Date.now() >= end ? resolve(undefined) : setImmediate(spin));
      spin();
    });
    const during = timers.mock.calls.length - before;
    controller.abort();
    expect(await waiting).toBe('aborted');
    timers.mockRestore();
    // Before: ~250 timers of 1 ms in 300 ms (Node's TimeoutOverflowWarning clamp), a busy loop for 30 days.
    expect(during).toBeLessThanOrEqual(2);
  });

  it('holds nothing for a pause that is not a finite number of milliseconds, but still empties the bucket', () => {
    let now = 0;
    const budget = new TokenBudget({ capacity: 10, refillPerSecond: 10 }, () => now);
    for (const pause of [Infinity, NaN]) {
      budget.throttled('k', pause);
      expect(budget.available('k')).toBe(false);
      now += 100;
      expect(budget.available('k')).toBe(true);
    }
  });

  it('refills at half the rate each time the limit turns out shared, down to a 64th, and wins a twentieth back per admitted request', () => {
    let now = 0;
    const budget = new TokenBudget({ capacity: 1, refillPerSecond: 64 }, () => now);
    const msPerToken = () => {
      budget.throttled('k', 0);
      const from = now;
      while (!budget.available('k')) now += 1;
      return now - from;
    };
    expect(msPerToken()).toBe(16);
    budget.shared('k');
    expect(msPerToken()).toBe(32);
    for (let i = 0; i < 10; i++) budget.shared('k');
    expect(minimumShare).toBe(1 / 64);
    expect(msPerToken()).toBe(1000);
    budget.admitted('k');
    expect(shareWonBackPerAdmission).toBe(0.05);
    // 64 × (1/64 + 0.05) = 4.2 tokens per second.
    expect(msPerToken()).toBe(239);
    // Another key's limit is not shared.
    expect(budget.available('other')).toBe(true);
  });
});
