import { callEmulator, useFidelityEmulator } from './emulatorTestKit';

describe('callback URLs: the oracle and the Logic Apps runtime agree', () => {
  const emulator = useFidelityEmulator('none');
  let workflowId: string;

  beforeAll(() => {
    workflowId = emulator.logic.addWorkflow({ subscriptionId: 'sub-oracle', resourceGroup: 'rg', name: 'payments' });
  });

  const invoke = (url: string) => callEmulator('POST', url, { body: { order: 42 } });

  it('has the shape of a Consumption callback URL and is deterministic for a key', () => {
    const url = emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary');
    expect(url).toMatch(
      new RegExp(
        `^${emulator.logicRuntimeEndpoint}/workflows/[0-9a-f]{32}/triggers/manual/paths/invoke\\?api-version=2016-10-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1\\.0&sig=[A-Za-z0-9_-]{43}$`,
      ),
    );
    expect(emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary')).toBe(url);
    expect(emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Secondary')).not.toBe(url);
  });

  it('starts the workflow (202) with either current key, and refuses it (401) once that key is regenerated', async () => {
    const primary = emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary');
    const secondary = emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Secondary');
    expect((await invoke(primary)).status).toBe(202);
    expect((await invoke(secondary)).status).toBe(202);

    emulator.logic.regenerateAccessKey(workflowId, 'Primary');

    expect(emulator.logic.isCallbackUrlValid(primary)).toBe(false);
    const refused = await invoke(primary);
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({
      error: { code: 'DirectApiInvalidAuthorizationSignature', message: 'The provided authorization signature is not valid.' },
    });
    // The other key's URL keeps working: what makes alternating rotation safe for consumers.
    expect(emulator.logic.isCallbackUrlValid(secondary)).toBe(true);
    expect((await invoke(secondary)).status).toBe(202);
    expect(emulator.logic.isCallbackUrlValid(emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary'))).toBe(true);
  });

  it('refuses tampered URLs', () => {
    const url = new URL(emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Secondary'));
    const otherTrigger = new URL(url);
    otherTrigger.searchParams.set('sp', '/triggers/other/run');
    const noSig = new URL(url);
    noSig.searchParams.delete('sig');
    const otherHost = new URL(url);
    otherHost.hostname = 'localhost';
    for (const tampered of [otherTrigger, noSig, otherHost]) expect(emulator.logic.isCallbackUrlValid(tampered.toString())).toBe(false);
    expect(emulator.logic.isCallbackUrlValid('not a url')).toBe(false);
  });

  it('answers 401 DirectApiAuthorizationRequired to an invoke without a signature', async () => {
    const url = new URL(emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Secondary'));
    url.searchParams.delete('sig');
    const answer = await invoke(url.toString());
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ error: { code: 'DirectApiAuthorizationRequired' } });
  });

  it('records invocations without their query string', async () => {
    await invoke(emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Secondary'));
    const invocations = emulator.requests.filter((request) => request.operationId === 'InvokeTrigger');
    expect(invocations.length).toBeGreaterThan(0);
    for (const invocation of invocations) expect(invocation.path).not.toContain('sig');
  });
});
