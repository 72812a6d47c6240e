import { ManagementGroupSubscriptions, managementGroupSubscriptionsTtlMs } from '../src/azure/logicApps/ManagementGroupSubscriptions';

/**
 * What a fan-out worker's process keeps of each management group's subscriptions (docs/design.md §11.1): one
 * read in flight per group however many messages ask, kept for a bounded time, a failure never kept, and one
 * message's deadline never failing the others' shared read.
 */
function pendingRead() {
  const reads: Array<{ readonly managementGroupId: string; resolve(ids: string[]): void; reject(error: Error): void }> = [];
  const read = (managementGroupId: string) =>
    new Promise<readonly string[]>((resolve, reject) => reads.push({ managementGroupId, resolve, reject }));
  return { reads, read };
}

describe('ManagementGroupSubscriptions', () => {
  it('shares one read among concurrent callers of a group, and answers case-insensitively', async () => {
    const { reads, read } = pendingRead();
    const groups = new ManagementGroupSubscriptions(read);

    const answers = Promise.all(Array.from({ length: 16 }, (_, i) => groups.holds('MG-Apps', i % 2 ? 'AAAA' : 'cccc')));
    reads[0]?.resolve(['aaaa', 'bbbb']);

    expect(await answers).toEqual(Array.from({ length: 16 }, (_, i) => i % 2 === 1));
    expect(reads.map((r) => r.managementGroupId)).toEqual(['MG-Apps']);
  });

  it('keeps an answer until the cache time has passed since it arrived, then reads again', async () => {
    let now = 0;
    const { reads, read } = pendingRead();
    const groups = new ManagementGroupSubscriptions(read, () => now);
    const first = groups.holds('mg', 'aaaa');
    now = 1_000; // the answer arrives a second after the question
    reads[0]?.resolve(['aaaa']);
    await first;

    now = 1_000 + managementGroupSubscriptionsTtlMs - 1;
    await expect(groups.holds('mg', 'aaaa')).resolves.toBe(true);
    expect(reads).toHaveLength(1);
    now += 1;
    const again = groups.holds('mg', 'aaaa');
    expect(reads).toHaveLength(2);
    reads[1]?.resolve([]);
    await expect(again).resolves.toBe(false);
  });

  it('does not keep a failed read: every waiting caller sees the failure, and the next caller reads again', async () => {
    const { reads, read } = pendingRead();
    const groups = new ManagementGroupSubscriptions(read);
    const waiting = [groups.holds('mg', 'aaaa'), groups.holds('mg', 'bbbb')];
    reads[0]?.reject(new Error('throttled'));

    for (const answer of waiting) await expect(answer).rejects.toThrow('throttled');
    const retried = groups.holds('mg', 'aaaa');
    reads[1]?.resolve(['aaaa']);
    await expect(retried).resolves.toBe(true);
    expect(reads).toHaveLength(2);
  });

  it("one caller's deadline ends its own wait only: the shared read goes on for the others", async () => {
    const { reads, read } = pendingRead();
    const groups = new ManagementGroupSubscriptions(read);
    const deadline = new AbortController();
    const hurried = groups.holds('mg', 'aaaa', deadline.signal);
    const patient = groups.holds('mg', 'aaaa');

    deadline.abort(new Error('deadline'));
    await expect(hurried).rejects.toThrow('deadline');
    reads[0]?.resolve(['aaaa']);

    await expect(patient).resolves.toBe(true);
    await expect(groups.holds('mg', 'aaaa')).resolves.toBe(true);
    expect(reads).toHaveLength(1);
  });
});
