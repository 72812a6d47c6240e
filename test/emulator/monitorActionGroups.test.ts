import { useEmulator } from '../support/emulatorEnvironment';
import { callEmulator } from './emulatorTestKit';

const subscriptionId = '6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5';
const resourceGroup = 'rg-alerts';
const apiVersion = '2021-09-01';

/** Azure Monitor action groups behind ARM (Microsoft.Insights 2021-09-01), over raw HTTP. */
describe('Microsoft.Insights action groups', () => {
  const emulator = useEmulator({ conformanceCheck: false, environment: 'none' });
  let token: string;
  let workflowId: string;
  let groupUrl: (name: string, version?: string) => string;

  beforeAll(() => {
    token = emulator.issueAccessToken(`${emulator.armEndpoint}/.default`);
    workflowId = emulator.logic.addWorkflow({ subscriptionId, resourceGroup, name: 'incident' });
    groupUrl = (name, version = apiVersion) =>
      `${emulator.armEndpoint}/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Insights/actionGroups/${name}?api-version=${version}`;
  });

  const idOf = (name: string) =>
    `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Insights/actionGroups/${name}`;
  const primary = () => emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Primary');
  const secondary = () => emulator.logic.currentCallbackUrl(workflowId, 'manual', 'Secondary');

  it('GET answers the whole group: every receiver list, callback URLs whole (sig included), read-only fields', async () => {
    const id = emulator.monitor.seedActionGroup(idOf('ops'), {
      groupShortName: 'ops',
      logicAppReceivers: [{ name: 'incident', resourceId: workflowId, callbackUrl: primary() }],
      otherReceivers: { emailReceivers: [{ name: 'oncall', emailAddress: 'oncall@example.com' }] },
    });

    const answer = await callEmulator('GET', groupUrl('ops'), { token });

    expect(answer.status).toBe(200);
    const body = answer.body as { id: string; properties: Record<string, unknown> };
    expect(body).toMatchObject({
      id: id.replace('Microsoft.Insights', 'microsoft.insights'),
      type: 'Microsoft.Insights/ActionGroups',
      name: 'ops',
      location: 'Global',
      tags: {},
      properties: {
        groupShortName: 'ops',
        enabled: true,
        emailReceivers: [{ name: 'oncall', emailAddress: 'oncall@example.com', status: 'Enabled' }],
        logicAppReceivers: [{ name: 'incident', resourceId: workflowId, useCommonAlertSchema: false }],
        webhookReceivers: [],
        eventHubReceivers: [],
      },
    });
    expect((body.properties['logicAppReceivers'] as Array<{ callbackUrl: string }>)[0]?.callbackUrl === primary()).toBe(true);
    expect(Object.keys(body.properties)).toHaveLength(13);
  });

  it('PUT replaces the whole group (201 when new, 200 after), keeps the location, and the oracle follows the receivers', async () => {
    const group = {
      location: 'Global',
      properties: {
        groupShortName: 'swap',
        enabled: true,
        logicAppReceivers: [{ name: 'incident', resourceId: workflowId, callbackUrl: primary() }],
        smsReceivers: [{ name: 'sms', countryCode: '1', phoneNumber: '5550100' }],
      },
    };
    const created = await callEmulator('PUT', groupUrl('swap'), { token, body: group });
    expect(created.status).toBe(201);
    expect(emulator.monitor.urlWorks(idOf('swap'))).toBe(true);

    const replaced = await callEmulator('PUT', groupUrl('swap'), {
      token,
      body: {
        location: 'westeurope',
        properties: {
          ...group.properties,
          smsReceivers: undefined,
          logicAppReceivers: [{ ...group.properties.logicAppReceivers[0], callbackUrl: secondary() }],
        },
      },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ location: 'Global', properties: { smsReceivers: [] } });
    expect(emulator.monitor.find(idOf('swap'))?.writes).toBe(2);
    expect(emulator.monitor.logicAppReceivers(idOf('swap'))[0]?.callbackUrl === secondary()).toBe(true);

    emulator.logic.regenerateAccessKey(workflowId, 'Secondary');
    expect(emulator.monitor.urlWorks(idOf('swap'))).toBe(false);
    expect(emulator.monitor.urlWorks(idOf('swap'), '/subscriptions/other')).toBe(false);
  });

  it('PATCH changes tags and enabled only', async () => {
    emulator.monitor.seedActionGroup(idOf('patched'), {
      logicAppReceivers: [{ name: 'incident', resourceId: workflowId, callbackUrl: primary() }],
    });
    const answer = await callEmulator('PATCH', groupUrl('patched'), {
      token,
      body: { tags: { team: 'ops' }, properties: { enabled: false, logicAppReceivers: [] } },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ tags: { team: 'ops' }, properties: { enabled: false } });
    expect(emulator.monitor.logicAppReceivers(idOf('patched'))).toHaveLength(1);
  });

  it("refuses what Azure refuses: a missing group (ARM's error shape), an invalid group (the provider's flat one), another api-version", async () => {
    const missing = await callEmulator('GET', groupUrl('nope'), { token });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      error: {
        code: 'ResourceNotFound',
        message: expect.stringContaining(
          "The Resource 'microsoft.insights/actiongroups/nope' under resource group 'rg-alerts' was not found",
        ),
      },
    });

    const noShortName = await callEmulator('PUT', groupUrl('bad'), { token, body: { location: 'Global', properties: { enabled: true } } });
    expect(noShortName.status).toBe(400);
    expect(noShortName.body).toEqual({ code: 'GroupShortNameIsNullOrEmpty', message: expect.any(String) });

    const noUrl = await callEmulator('PUT', groupUrl('bad'), {
      token,
      body: {
        location: 'Global',
        properties: { groupShortName: 'bad', enabled: true, logicAppReceivers: [{ name: 'x', resourceId: workflowId }] },
      },
    });
    expect(noUrl.body).toMatchObject({ code: 'LogicAppReceiverCallbackUrlIsNullOrEmpty' });

    const noLocation = await callEmulator('PUT', groupUrl('bad'), {
      token,
      body: { properties: { groupShortName: 'bad', enabled: true } },
    });
    expect(noLocation.body).toMatchObject({ code: 'LocationIsNullOrEmpty' });

    const version = await callEmulator('GET', groupUrl('nope', '2019-05-01'), { token });
    expect(version.status).toBe(400);
    expect(version.body).toMatchObject({ error: { code: 'InvalidApiVersionParameter' } });

    const otherGroup = await callEmulator(
      'GET',
      `${emulator.armEndpoint}/subscriptions/${subscriptionId}/resourceGroups/rg-nowhere/providers/Microsoft.Insights/actionGroups/x?api-version=${apiVersion}`,
      { token },
    );
    expect(otherGroup.body).toMatchObject({ error: { code: 'ResourceGroupNotFound' } });
  });

  it('faults are injected by operation name, in ARM’s error shape', async () => {
    emulator.monitor.seedActionGroup(idOf('faulty'), {});
    emulator.faults.add({ operationId: 'ActionGroups_Get', status: 429 });
    emulator.faults.add({ operationId: 'ActionGroups_CreateOrUpdate', status: 500 });

    const throttled = await callEmulator('GET', groupUrl('faulty'), { token });
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('1');
    expect(throttled.body).toMatchObject({ error: { code: 'SubscriptionRequestsThrottled' } });
    const failed = await callEmulator('PUT', groupUrl('faulty'), {
      token,
      body: { location: 'Global', properties: { groupShortName: 'f', enabled: true } },
    });
    expect(failed.status).toBe(500);
    expect(emulator.requests.filter((request) => request.path.endsWith('/faulty')).map((request) => request.operationId)).toEqual([
      'ActionGroups_Get',
      'ActionGroups_CreateOrUpdate',
    ]);
  });
});
