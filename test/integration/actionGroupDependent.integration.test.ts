import { callbackEndpoint } from '../../src/rotation/Dependent';
import { isRestError } from '@azure/core-rest-pipeline';
import { ActionGroupDependents } from '../../src/azure/monitor/ActionGroupDependents';
import { TargetRotationError } from '../../src/rotation/failures';
import { resourceGroup, subscriptionId } from '../support/constants';
import { useDependentAdapterTest } from '../support/dependentAdapterTest';
import { addRequestWorkflow, uniqueName } from '../support/emulatorEnvironment';

/**
 * The action-group adapter with the real @azure/arm-monitor client against the emulator: reading the Logic App
 * receivers of a target's workflow, updating them by a whole-group PUT, faults on each call, misconfigurations.
 */
const { emulator, connection, targetOf, urlOf, dependentOf, rejection } = useDependentAdapterTest('actionGroup');
let gateway: ActionGroupDependents;

beforeAll(() => {
  gateway = new ActionGroupDependents(connection());
});

function groupId(name = uniqueName('ag')): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Insights/actionGroups/${name}`;
}

/** A group with two receivers for the workflow (one spelled in other case), one for another workflow, and an email receiver. */
function seedGroup(workflowId: string): { readonly id: string; readonly other: string } {
  const other = addRequestWorkflow(emulator, 'other');
  const id = emulator.monitor.seedActionGroup(groupId(), {
    groupShortName: 'ops',
    logicAppReceivers: [
      { name: 'orders', resourceId: workflowId, callbackUrl: urlOf(workflowId, 'Primary').value },
      {
        name: 'orders-again',
        resourceId: workflowId.toUpperCase(),
        callbackUrl: urlOf(workflowId, 'Primary').value,
        useCommonAlertSchema: true,
      },
      { name: 'other', resourceId: other, callbackUrl: urlOf(other, 'Primary').value },
    ],
    otherReceivers: { emailReceivers: [{ name: 'oncall', emailAddress: 'oncall@example.com', useCommonAlertSchema: true }] },
  });
  return { id, other };
}

describe('reading an action group', () => {
  it("holds the whole URL: the sig of each Logic App receiver of the target's workflow (resource IDs compared without case)", async () => {
    const workflowId = addRequestWorkflow(emulator, 'ag-read');
    const { id } = seedGroup(workflowId);
    const sig = urlOf(workflowId, 'Primary').sig;

    await expect(gateway.read(dependentOf(id), targetOf(workflowId))).resolves.toEqual({
      form: 'url',
      sigs: [sig, sig],
      endpoints: Array(2).fill(callbackEndpoint(urlOf(workflowId, 'Primary').value)),
    });
    expect(emulator.monitor.urlWorks(id, workflowId)).toBe(true);
  });

  it('DependentHasNoReceiver: names the group, the workflow and the receivers it has, never their URLs', async () => {
    const workflowId = addRequestWorkflow(emulator, 'ag-none');
    const other = addRequestWorkflow(emulator, 'ag-elsewhere');
    const id = emulator.monitor.seedActionGroup(groupId(), {
      logicAppReceivers: [{ name: 'elsewhere', resourceId: other, callbackUrl: urlOf(other, 'Primary').value }],
    });
    const empty = emulator.monitor.seedActionGroup(groupId());

    const error = await rejection(gateway.read(dependentOf(id), targetOf(workflowId)));
    expect(error).toBeInstanceOf(TargetRotationError);
    expect((error as TargetRotationError).failure).toMatchObject({ step: 'dependents', code: 'DependentHasNoReceiver' });
    expect((error as Error).message).toContain(id);
    expect((error as Error).message).toContain(workflowId);
    expect((error as Error).message).toContain("'elsewhere'");
    const none = await rejection(gateway.update(dependentOf(empty), targetOf(workflowId), urlOf(workflowId, 'Secondary')));
    expect((none as TargetRotationError).failure.code).toBe('DependentHasNoReceiver');
    expect((none as Error).message).toMatch(/no Logic App receivers/);
    expect(emulator.monitor.find(empty)?.writes).toBe(0);
  });

  it('DependentValueUnrecognized: a receiver whose callback URL carries no sig', async () => {
    const workflowId = addRequestWorkflow(emulator, 'ag-unsigned');
    const id = emulator.monitor.seedActionGroup(groupId(), {
      logicAppReceivers: [{ name: 'unsigned', resourceId: workflowId, callbackUrl: 'https://example.com/hook?api-version=2016-10-01' }],
    });

    const error = await rejection(gateway.read(dependentOf(id), targetOf(workflowId)));
    expect((error as TargetRotationError).failure).toMatchObject({ step: 'dependents', code: 'DependentValueUnrecognized' });
    expect((error as Error).message).toContain("'unsigned'");
    expect((error as Error).message).toContain(id);
  });
});

describe('updating an action group', () => {
  it("puts the new URL into the workflow's receivers only, by a PUT of the whole group: the old URL is no longer held", async () => {
    const workflowId = addRequestWorkflow(emulator, 'ag-update');
    const { id, other } = seedGroup(workflowId);
    const before = urlOf(workflowId, 'Primary');
    const after = urlOf(workflowId, 'Secondary');
    const otherUrl = emulator.monitor.logicAppReceivers(id, other)[0]?.callbackUrl;
    const seen = emulator.requests.length;

    await gateway.update(dependentOf(id), targetOf(workflowId), after);

    expect(
      emulator.requests
        .slice(seen)
        .filter((request) => request.service === 'arm')
        .map((request) => `${request.method} ${request.operationId} ${request.status}`),
    ).toEqual(['GET ActionGroups_Get 200', 'PUT ActionGroups_CreateOrUpdate 200']);
    const receivers = emulator.monitor.logicAppReceivers(id, workflowId);
    expect(receivers.map((receiver) => receiver.callbackUrl === after.value)).toEqual([true, true]);
    expect(receivers.map((receiver) => receiver.useCommonAlertSchema)).toEqual([false, true]);
    expect(emulator.monitor.logicAppReceivers(id, other)[0]?.callbackUrl).toBe(otherUrl);
    const group = emulator.monitor.find(id);
    expect(group?.receivers.emailReceivers).toEqual([
      { name: 'oncall', emailAddress: 'oncall@example.com', useCommonAlertSchema: true, status: 'Enabled' },
    ]);
    expect(group).toMatchObject({ groupShortName: 'ops', enabled: true, location: 'Global' });
    await expect(gateway.read(dependentOf(id), targetOf(workflowId))).resolves.toEqual({
      form: 'url',
      sigs: [after.sig, after.sig],
      endpoints: Array(2).fill(callbackEndpoint(after.value)),
    });

    // The gate's question after the update: once Primary is regenerated, the group still works.
    emulator.logic.regenerateAccessKey(workflowId, 'Primary');
    expect(emulator.logic.isCallbackUrlValid(before.value)).toBe(false);
    expect(emulator.monitor.urlWorks(id, workflowId)).toBe(true);
  });
});

describe('faults on each call', () => {
  const calls = [
    { call: 'GET', operationId: 'ActionGroups_Get' },
    { call: 'PUT', operationId: 'ActionGroups_CreateOrUpdate' },
  ] as const;

  it.each(calls.flatMap(({ call, operationId }) => [429, 500, 503].map((status) => [call, status, operationId] as const)))(
    '%s failing once with %i is retried',
    async (_call, status, operationId) => {
      const workflowId = addRequestWorkflow(emulator, 'ag-retry');
      const { id } = seedGroup(workflowId);
      emulator.faults.add({ operationId, status, ...(status === 429 ? { retryAfterSeconds: 0 } : {}) });

      await gateway.update(dependentOf(id), targetOf(workflowId), urlOf(workflowId, 'Secondary'));

      expect(emulator.monitor.urlWorks(id, workflowId)).toBe(true);
      expect(emulator.monitor.logicAppReceivers(id, workflowId)[0]?.callbackUrl).toBe(urlOf(workflowId, 'Secondary').value);
    },
  );

  it.each(calls.flatMap(({ call, operationId }) => [403, 404].map((status) => [call, status, operationId] as const)))(
    '%s failing with %i passes the RestError through unchanged',
    async (_call, status, operationId) => {
      const workflowId = addRequestWorkflow(emulator, 'ag-refused');
      const { id } = seedGroup(workflowId);
      const code = status === 403 ? 'AuthorizationFailed' : 'ResourceNotFound';
      emulator.faults.add({ operationId, status, errorCode: code, message: `injected ${code}` });

      const error = await rejection(gateway.update(dependentOf(id), targetOf(workflowId), urlOf(workflowId, 'Secondary')));

      expect(isRestError(error)).toBe(true);
      expect(error).toMatchObject({ statusCode: status, code });
      expect(emulator.monitor.logicAppReceivers(id, workflowId)[0]?.callbackUrl).toBe(urlOf(workflowId, 'Primary').value);
    },
  );

  it('a group that does not exist: 404 ResourceNotFound as a RestError', async () => {
    const workflowId = addRequestWorkflow(emulator, 'ag-missing');
    const error = await rejection(gateway.read(dependentOf(groupId('never-created')), targetOf(workflowId)));
    expect(error).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });

  it('the abortSignal stops a call that hangs', async () => {
    const workflowId = addRequestWorkflow(emulator, 'ag-abort');
    const { id } = seedGroup(workflowId);
    emulator.faults.add({ operationId: 'ActionGroups_Get', delayMs: 5_000 });
    const started = Date.now();

    const error = await rejection(gateway.read(dependentOf(id), targetOf(workflowId), { abortSignal: AbortSignal.timeout(200) }));

    expect((error as Error).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
