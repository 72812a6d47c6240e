import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { ensureLocalCertificateAuthority } from '../../emulator/localCertificateAuthority';
import { issueLoopbackServerCertificate } from '../../emulator/loopbackServerCertificate';
import { ArmTargetDiscovery, type DiscoveryLimits } from '../../src/azure/logicApps/ArmTargetDiscovery';
import { loadSettings } from '../../src/composition/config';
import { subscriptionSequence, uniqueName, useEmulator } from '../support/emulatorEnvironment';

/**
 * Management-group discovery through Azure Resource Graph under attack (issue 15's adversarial review):
 * faults and odd answers at the Resources call, overlapping scopes, and the per-site listings a group's
 * tagged Standard sites still need. The product's own ArmTargetDiscovery and ResourceGraphClient against the
 * emulator; where an answer must be one the emulator never gives (headers, body fields), a tampering HTTPS
 * proxy in front of the emulator changes that one answer and forwards everything else untouched.
 */
const emulator = useEmulator({ environment: 'managedIdentity' });
const newSubscription = subscriptionSequence('9a15e4a0');

const discovery = (limits: Partial<DiscoveryLimits> = {}, endpoint?: string, credential?: TokenCredential) =>
  new ArmTargetDiscovery(credential ?? new ManagedIdentityCredential(), endpoint ?? emulator.armEndpoint, 30, undefined, {
    maxPages: 1000,
    budgetMs: 60_000,
    ...limits,
  });

const armRequests = (since: number, operationId: string) =>
  emulator.requests.slice(since).filter((record) => record.service === 'arm' && record.operationId === operationId);

function seedGroup(count: number) {
  const group = uniqueName('mg-review');
  const subscriptions = Array.from({ length: count }, () => newSubscription());
  emulator.resourceGraph.addManagementGroup(group, subscriptions);
  const tagged = subscriptions.map((subscriptionId, index) =>
    emulator.logic.addWorkflow({
      subscriptionId,
      resourceGroup: 'rg-apps',
      name: `tagged-${group}-${index}`,
      tags: { 'sas-rotation': 'enabled' },
    }),
  );
  return { group, subscriptions, tagged };
}

const scopeOf = (group: string) => `/providers/Microsoft.Management/managementGroups/${group}`;

afterEach(() => {
  emulator.resourceGraph.quota = { queries: 15, windowSeconds: 5 };
  emulator.resourceGraph.resetQuotas();
});

/** An ARM token for the emulator, whatever endpoint the client was given (the proxy's). */
const armTokens = (): TokenCredential => ({
  getToken: () => Promise.resolve({ token: emulator.issueAccessToken(emulator.armEndpoint), expiresOnTimestamp: Date.now() + 3_600_000 }),
});

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * An HTTPS proxy (certificate from the emulator's local CA, which the test process trusts) that forwards every
 * request to the emulator's ARM endpoint and lets `tamper` rewrite the answers to Resource Graph queries.
 */
async function startTamperingProxy(tamper: (answer: Answer, index: number) => Answer) {
  const tls = await issueLoopbackServerCertificate(await ensureLocalCertificateAuthority());
  const target = new URL(emulator.armEndpoint);
  let graphAnswers = 0;
  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers = { ...req.headers, host: target.host };
      const upstream = https.request(
        { hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers },
        (answer) => {
          const body: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => body.push(chunk));
          answer.on('end', () => {
            let reply: Answer = {
              status: answer.statusCode ?? 500,
              headers: Object.fromEntries(
                Object.entries(answer.headers)
                  .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
                  .filter(([name]) => !['content-length', 'transfer-encoding', 'connection'].includes(name)),
              ),
              body: Buffer.concat(body).toString('utf8'),
            };
            if (/\/providers\/Microsoft\.ResourceGraph\/resources/i.test(req.url ?? '')) reply = tamper(reply, graphAnswers++);
            res.writeHead(reply.status, { ...reply.headers, 'content-length': String(Buffer.byteLength(reply.body)) });
            res.end(reply.body);
          });
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answered: () => graphAnswers,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('Resource Graph throttling', () => {
  it("a 429 whose Retry-After is longer than the retry policy's single wait is honoured: no re-query every second, ResourceGraphThrottled at once", async () => {
    // ARM's front door (or Resource Graph without its quota headers) asks for a minute.
    const { group } = seedGroup(1);
    emulator.faults.add({ service: 'arm', operationId: 'Resources', status: 429, retryAfterSeconds: 60, times: Infinity });
    const since = emulator.requests.length;
    const result = await discovery({ budgetMs: 4_000 }).discover([{ managementGroupId: group }]);
    const queries = armRequests(since, 'Resources');
    // Before the fix: the Retry-After is ignored (1 s assumed): the same query re-sent every second for the whole budget,
    // then ResourceGraphThrottled saying the quota "starts again in 1 s".
    expect({ queries: queries.length, problems: result.problems.map((problem) => problem.errorCode) }).toEqual({
      queries: 1,
      problems: ['ResourceGraphThrottled'],
    });
    // The wait it was refused is named, not the 1 s assumed before.
    expect(result.problems[0]?.message).toContain('in 60 s');
  });

  it('a 429 whose quota reset lies past the discovery budget stops the query at once (design §4.5), even when the retry policy would wait for it', async () => {
    const { group } = seedGroup(1);
    // Another client of the same identity used the quota; it starts again in 20 s, past a 3 s budget.
    emulator.resourceGraph.quota = { queries: 1, windowSeconds: 20 };
    emulator.resourceGraph.resetQuotas();
    emulator.resourceGraph.take(emulator.managedIdentity.objectId);
    const result = await discovery({ budgetMs: 3_000 }).discover([{ managementGroupId: group }]);
    // Before the fix: the retry policy sleeps the 20 s x-ms-user-quota-resets-after until the budget aborts it: DiscoveryTimedOut after 3 s.
    // Stopped at once, it is ResourceGraphThrottled naming the reset (a budget that ran out would say DiscoveryTimedOut).
    expect(result.problems.map((problem) => problem.errorCode)).toEqual(['ResourceGraphThrottled']);
    expect(result.problems[0]?.message).toMatch(/in (19|20) s/);
  });
});

describe('Resource Graph answers that are not what they seem', () => {
  it('an answer that says resultTruncated without a $skipToken is not read as the whole estate', async () => {
    const { group, tagged } = seedGroup(3);
    const proxy = await startTamperingProxy((answer) => {
      const body = JSON.parse(answer.body) as Record<string, unknown>;
      // Resource Graph truncated the result and gave no token to go on with (Learn, "Working with large
      // Azure resource data sets": resultTruncated true, no $skipToken).
      delete body['$skipToken'];
      body['resultTruncated'] = 'true';
      return { ...answer, body: JSON.stringify(body) };
    });
    try {
      const result = await discovery({ resourceGraphPageSize: 1 }, proxy.endpoint, armTokens()).discover([{ managementGroupId: group }]);
      // Before the fix: one of three tagged workflows, no problem at all: the other two are silently never rotated.
      expect(result.targets.length === tagged.length || result.problems.length > 0).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});

describe('overlapping scopes', () => {
  it('the same management group named twice (letter case differs) is queried once', async () => {
    const { group } = seedGroup(2);
    const settings = loadSettings({
      KEY_VAULT_URI: emulator.keyVaultUri,
      ROTATION_DISCOVERY: `${scopeOf(group)},${scopeOf(group.toUpperCase())}/`,
    });
    const since = emulator.requests.length;
    const result = await discovery().discover(settings.discoveryScopes);
    expect(result.problems).toEqual([]);
    // Before the fix: two queries of the user's 15-per-5-s quota, and each tagged site would be listed twice.
    expect(armRequests(since, 'Resources')).toHaveLength(1);
  });

  it('a subscription scope inside a listed management group: each bad tag is one problem (one alert), each tagged site listed once', async () => {
    const { group, subscriptions } = seedGroup(1);
    const subscriptionId = subscriptions[0] as string;
    const bad = emulator.logic.addWorkflow({
      subscriptionId,
      resourceGroup: 'rg-apps',
      name: `bad-interval-${group}`,
      tags: { 'sas-rotation': 'enabled', 'sas-rotation-interval-days': 'monthly' },
    });
    emulator.logic.addStandardWorkflow({
      subscriptionId,
      resourceGroup: 'rg-standard',
      site: uniqueName('la-overlap'),
      name: 'orders',
      siteTags: { 'sas-rotation': 'enabled' },
    });
    const settings = loadSettings({
      KEY_VAULT_URI: emulator.keyVaultUri,
      ROTATION_DISCOVERY: `${scopeOf(group)},/subscriptions/${subscriptionId}`,
    });
    const since = emulator.requests.length;
    const result = await discovery().discover(settings.discoveryScopes);
    // Before the fix: the bad workflow is reported twice (two SasKeyDiscoveryFailed events) and the site listed twice.
    expect(result.problems.filter((problem) => problem.resourceId.toLowerCase() === bad.toLowerCase())).toHaveLength(1);
    expect(armRequests(since, 'WebApps_ListWorkflows')).toHaveLength(1);
  });
});

describe('a management group with many tagged Standard sites', () => {
  it('lists the workflows of 12 tagged sites (ARM answering in 300 ms) within a 2.5 s budget, so the last sites in ID order are not cut off every run', async () => {
    const group = uniqueName('mg-sites');
    const subscriptionId = newSubscription();
    emulator.resourceGraph.addManagementGroup(group, [subscriptionId]);
    const expected = Array.from({ length: 12 }, (_, index) =>
      emulator.logic.addStandardWorkflow({
        subscriptionId,
        resourceGroup: 'rg-standard',
        site: `la-${group}-${String(index).padStart(2, '0')}`,
        name: 'orders',
        siteTags: { 'sas-rotation': 'enabled' },
      }),
    );
    emulator.faults.add({ service: 'arm', operationId: 'WebApps_ListWorkflows', delayMs: 300, times: Infinity });
    const result = await discovery({ budgetMs: 2_500 }).discover([{ managementGroupId: group }]);
    // Before the fix: one site after the other, 300 ms each: the budget ends after ~8 sites, and since the query is
    // ordered by id, the same last sites are DiscoveryTimedOut on every run, for ever.
    expect({ found: result.targets.length, problems: result.problems.map((problem) => problem.errorCode) }).toEqual({
      found: expected.length,
      problems: [],
    });
  });
});

// Last in the file: the storm it shows drains the emulator's ARM buckets for the tests after it.
describe('a Resource Graph 429 storm', () => {
  it('a 429 that says the quota resets after 00:00:00 does not turn into a storm of thousands of queries', async () => {
    const { group } = seedGroup(1);
    const proxy = await startTamperingProxy(() => ({
      status: 429,
      headers: { 'content-type': 'application/json', 'x-ms-user-quota-remaining': '0', 'x-ms-user-quota-resets-after': '00:00:00' },
      body: JSON.stringify({ error: { code: 'RateLimiting', message: 'Client application has been throttled.' } }),
    }));
    try {
      const result = await discovery({ budgetMs: 3_000 }, proxy.endpoint, armTokens()).discover([{ managementGroupId: group }]);
      expect(result.problems).toHaveLength(1);
      // Before the fix: 4 immediate retries per attempt and a 1 ms pause between attempts, for up to 1,000 attempts (~5,000 queries).
      expect(proxy.answered()).toBeLessThanOrEqual(20);
    } finally {
      await proxy.close();
    }
  });
});
