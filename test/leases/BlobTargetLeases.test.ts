import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TokenCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import { ConfigurationError } from '../../src/composition/config';
import {
  BlobTargetLeases,
  leaseBlobName,
  leaseContainerName,
  type BlobTargetLeasesOptions,
} from '../../src/azure/storage/BlobTargetLeases';
import { createTargetLeases } from '../../src/azure/storage/createTargetLeases';
import type { TargetLeaseHandle, TargetLeases } from '../../src/rotation/ports';
import type { RotationTarget } from '../../src/rotation/RotationTarget';
import { azuriteAccountKey, azuriteAccountName, startAzurite, type Azurite } from '../support/azurite';

/** The service's shortest lease, so that expiry and renewal can be shown within the suite's time. */
const shortLease: BlobTargetLeasesOptions = { leaseDurationInSeconds: 15, renewIntervalInMs: 2_000 };
const shortLeaseInMs = 15_000;

let azurite: Azurite;

beforeAll(async () => {
  azurite = await startAzurite();
});

afterAll(async () => {
  await azurite?.stop();
});

let targetCounter = 0;
function target(name: string): RotationTarget {
  targetCounter += 1;
  const workflow = `${name}-${targetCounter}`;
  return {
    workflowId: `/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg-leases/providers/Microsoft.Logic/workflows/${workflow}`,
    trigger: 'manual',
    secretName: `${workflow}-manual-url`,
    intervalDays: 30,
    adopt: false,
    host: 'consumption',
  };
}

/** One process's view of the lease store (each call: a separate instance, as another machine would have). */
function instance(options: BlobTargetLeasesOptions = {}, connectionString = azurite.connectionString): BlobTargetLeases {
  return new BlobTargetLeases(BlobServiceClient.fromConnectionString(connectionString), options);
}

function leaseBlob(workflowId: string) {
  return BlobServiceClient.fromConnectionString(azurite.connectionString)
    .getContainerClient(leaseContainerName)
    .getBlobClient(leaseBlobName(workflowId));
}

async function acquired(leases: TargetLeases, rotationTarget: RotationTarget): Promise<TargetLeaseHandle> {
  const handle = await leases.tryAcquire(rotationTarget);
  if (!handle) {
    throw new Error(`expected to take the lease on ${rotationTarget.workflowId}`);
  }
  return handle;
}

async function eventually(condition: () => boolean | Promise<boolean>, what: string, timeoutInMs = 40_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutInMs;
  while (!(await condition())) {
    if (Date.now() > giveUpAt) {
      throw new Error(`gave up waiting: ${what}`);
    }
    await sleep(250);
  }
}

/** A TCP hop between a holder and Azurite whose cable can be cut: from storage's side, a crashed holder. */
async function startCuttableLink(upstream: URL): Promise<{ connectionString: string; cut(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket, peer: () => Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => peer().destroy());
  };
  const server = createServer((downstream) => {
    const upstreamSocket = connect(Number(upstream.port), upstream.hostname);
    track(downstream, () => upstreamSocket);
    track(upstreamSocket, () => downstream);
    downstream.pipe(upstreamSocket).pipe(downstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${azuriteAccountName};AccountKey=${azuriteAccountKey};BlobEndpoint=http://127.0.0.1:${port}/${azuriteAccountName};`,
    cut: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

// The two tests that must outlast a lease run side by side (test.concurrent starts them right after
// beforeAll), so the file takes about one lease duration rather than two.
test.concurrent(
  'a lease left by a crashed holder expires on its own, and the next run takes the target',
  async () => {
    const rotationTarget = target('crashed');
    const link = await startCuttableLink(new URL(azurite.blobEndpoint));
    const crashedHolder = await acquired(instance(shortLease, link.connectionString), rotationTarget);
    // The process is gone: no renewal and no release reaches storage again.
    await link.cut();
    const nextRun = instance(shortLease);

    expect(await nextRun.tryAcquire(rotationTarget)).toBeUndefined();

    let handle: TargetLeaseHandle | undefined;
    await eventually(async () => (handle = await nextRun.tryAcquire(rotationTarget)) !== undefined, 'the abandoned lease to expire');
    // Had the holder survived the cut, it would have been told to stop before anyone else got in.
    await eventually(() => crashedHolder.lostSignal.aborted, 'the cut-off holder to learn it lost the lease');
    await handle?.release();
  },
  60_000,
);

test.concurrent(
  'a held lease is renewed, so it outlives its duration and keeps other writers out',
  async () => {
    const rotationTarget = target('renewed');
    const handle = await acquired(instance(shortLease), rotationTarget);
    const heldSince = Date.now();
    await sleep(heldSince + shortLeaseInMs + 2_000 - Date.now());

    expect(await instance(shortLease).tryAcquire(rotationTarget)).toBeUndefined();
    expect(handle.lostSignal.aborted).toBe(false);
    await handle.release();
  },
  60_000,
);

describe('BlobTargetLeases', () => {
  test('a target held by one instance is skipped by another instance and by a second run in the same process', async () => {
    const rotationTarget = target('held');
    const first = instance();
    const handle = await acquired(first, rotationTarget);

    expect(await instance().tryAcquire(rotationTarget)).toBeUndefined();
    expect(await first.tryAcquire(rotationTarget)).toBeUndefined();
    await handle.release();
  });

  test('two runs racing for a target that was never leased: exactly one gets it', async () => {
    const rotationTarget = target('race');
    const handles = await Promise.all([instance(), instance(), instance()].map((leases) => leases.tryAcquire(rotationTarget)));

    expect(handles.filter((handle) => handle !== undefined)).toHaveLength(1);
    await Promise.all(handles.map((handle) => handle?.release()));
  });

  test('the same workflow spelled in another case is the same target', async () => {
    const rotationTarget = target('Case');
    const handle = await acquired(instance(), rotationTarget);

    expect(await instance().tryAcquire({ ...rotationTarget, workflowId: rotationTarget.workflowId.toLowerCase() })).toBeUndefined();
    await handle.release();
  });

  test('different targets do not block each other', async () => {
    const leases = instance();
    const handles = await Promise.all([target('a'), target('b'), target('c')].map((rotationTarget) => acquired(leases, rotationTarget)));

    expect(handles).toHaveLength(3);
    await Promise.all(handles.map((handle) => handle.release()));
  });

  test('release lets the next run in, and releasing twice is harmless', async () => {
    const rotationTarget = target('released');
    const handle = await acquired(instance(), rotationTarget);
    await handle.release();
    await handle.release();

    const next = await acquired(instance(), rotationTarget);
    expect(handle.lostSignal.aborted).toBe(false);
    await next.release();
  });

  test('the lease blob names its workflow in metadata for operators', async () => {
    const rotationTarget = target('labelled');
    const handle = await acquired(instance(), rotationTarget);

    const properties = await leaseBlob(rotationTarget.workflowId).getProperties();
    expect(properties.metadata).toMatchObject({ workflowid: rotationTarget.workflowId, managedby: 'sas-rotator' });
    expect(properties.leaseState).toBe('leased');
    expect(properties.leaseDuration).toBe('fixed');
    await handle.release();
  });

  test('the holder is told through lostSignal when someone else breaks its lease', async () => {
    const rotationTarget = target('broken');
    const handle = await acquired(instance({ ...shortLease, renewIntervalInMs: 300 }), rotationTarget);

    await leaseBlob(rotationTarget.workflowId).getBlobLeaseClient().breakLease(0);

    await eventually(() => handle.lostSignal.aborted, 'lostSignal after the break', 10_000);
    expect(String(handle.lostSignal.reason)).toContain(rotationTarget.workflowId);
    await expect(handle.release()).resolves.toBeUndefined();
    const next = await acquired(instance(), rotationTarget);
    await next.release();
  });

  test('an aborted run does not wait for storage', async () => {
    await expect(instance().tryAcquire(target('aborted'), { abortSignal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  test('refuses a lease that would never expire or would lapse between renewals', () => {
    const serviceClient = BlobServiceClient.fromConnectionString(azurite.connectionString);
    expect(() => new BlobTargetLeases(serviceClient, { leaseDurationInSeconds: -1 })).toThrow(RangeError);
    expect(() => new BlobTargetLeases(serviceClient, { leaseDurationInSeconds: 61 })).toThrow(RangeError);
    expect(() => new BlobTargetLeases(serviceClient, { leaseDurationInSeconds: 15, renewIntervalInMs: 15_000 })).toThrow(RangeError);
  });
});

describe('createTargetLeases reads the Functions host storage settings', () => {
  const credential: TokenCredential = { getToken: async () => null };

  test('AzureWebJobsStorage as a connection string (Azurite)', async () => {
    const leases = createTargetLeases({ AzureWebJobsStorage: azurite.connectionString }, credential);
    expect(leases?.blobServiceUrl).toBe(azurite.blobEndpoint);

    const handle = await acquired(leases as TargetLeases, target('factory'));
    await handle.release();
  });

  test('UseDevelopmentStorage=true is Azurite on its default port', () => {
    expect(createTargetLeases({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' }, credential)?.blobServiceUrl).toBe(
      'http://127.0.0.1:10000/devstoreaccount1',
    );
  });

  test('identity-based: AzureWebJobsStorage__blobServiceUri', () => {
    const env = {
      AzureWebJobsStorage__blobServiceUri: 'https://stsasrot.blob.core.usgovcloudapi.net/',
      AzureWebJobsStorage__credential: 'managedidentity',
    };
    expect(createTargetLeases(env, credential)?.blobServiceUrl).toBe('https://stsasrot.blob.core.usgovcloudapi.net');
  });

  test('identity-based: AzureWebJobsStorage__accountName is the public cloud endpoint', () => {
    expect(createTargetLeases({ AzureWebJobsStorage__accountName: 'stsasrot' }, credential)?.blobServiceUrl).toBe(
      'https://stsasrot.blob.core.windows.net',
    );
  });

  test('a connection string wins over identity-based settings, as in the host', () => {
    const env = { AzureWebJobsStorage: azurite.connectionString, AzureWebJobsStorage__accountName: 'stsasrot' };
    expect(createTargetLeases(env, credential)?.blobServiceUrl).toBe(azurite.blobEndpoint);
  });

  test('nothing configured: no leases', () => {
    expect(createTargetLeases({}, credential)).toBeUndefined();
    expect(createTargetLeases({ AzureWebJobsStorage: '  ', AzureWebJobsStorage__accountName: '' }, credential)).toBeUndefined();
  });

  test.each([
    [
      'a connection string without an endpoint',
      { AzureWebJobsStorage: `DefaultEndpointsProtocol=ftp;AccountName=stsasrot;AccountKey=${azuriteAccountKey}` },
      'AzureWebJobsStorage',
    ],
    ['a connection string with nothing usable', { AzureWebJobsStorage: `AccountKey=${azuriteAccountKey}` }, 'AzureWebJobsStorage'],
    [
      'an http blobServiceUri',
      { AzureWebJobsStorage__blobServiceUri: 'http://stsasrot.blob.core.windows.net' },
      'AzureWebJobsStorage__blobServiceUri',
    ],
    ['a blobServiceUri that is not a URL', { AzureWebJobsStorage__blobServiceUri: 'stsasrot' }, 'AzureWebJobsStorage__blobServiceUri'],
    ['an account name with capitals', { AzureWebJobsStorage__accountName: 'StSasRot' }, 'AzureWebJobsStorage__accountName'],
    [
      'a connection string pasted as the account name',
      { AzureWebJobsStorage__accountName: `AccountName=x;AccountKey=${azuriteAccountKey}` },
      'AzureWebJobsStorage__accountName',
    ],
  ])('bad settings: %s is a configuration error that names the setting and never quotes a key', (_case, env, setting) => {
    let thrown: unknown;
    try {
      createTargetLeases(env, credential);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigurationError);
    const message = (thrown as Error).message;
    expect(message).toContain(setting);
    expect(message).not.toContain(azuriteAccountKey.slice(0, 12));
  });
});
