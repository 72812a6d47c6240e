import { contestedSecretNames, mergeTargets } from '../../src/rotation/mergeTargets';
import type { RotationTarget } from '../../src/rotation/RotationTarget';

const target = (name: string, secretName = `${name}-manual-url`, intervalDays = 30): RotationTarget => ({
  workflowId: `/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Logic/workflows/${name}`,
  host: 'consumption',
  trigger: 'manual',
  secretName,
  intervalDays,
  adopt: false,
});

describe('mergeTargets: listed and discovered targets together', () => {
  it('keeps the listed settings when a workflow is both listed and tagged, and says so', () => {
    const merged = mergeTargets(
      [target('orders', 'orders-url', 7)],
      [{ ...target('orders'), workflowId: target('orders').workflowId.toUpperCase() }, target('invoices')],
    );
    expect(merged.targets.map((t) => [t.secretName, t.intervalDays])).toEqual([
      ['orders-url', 7],
      ['invoices-manual-url', 30],
    ]);
    expect(merged.notes).toEqual([expect.stringMatching(/both listed and tagged: the listed settings are used/)]);
  });

  it("keeps the tag's dependents of a workflow that is both listed and tagged: a dependent named anywhere is kept in step", () => {
    const providers = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers';
    const namedValue = {
      resourceId: `${providers}/Microsoft.ApiManagement/service/apim/namedValues/orders`,
      kind: 'apimNamedValue' as const,
    };
    const actionGroup = { resourceId: `${providers}/Microsoft.Insights/actionGroups/on-call`, kind: 'actionGroup' as const };
    const merged = mergeTargets(
      [{ ...target('orders', 'orders-url', 7), dependents: [namedValue] }],
      [{ ...target('orders'), dependents: [{ ...namedValue, resourceId: namedValue.resourceId.toUpperCase() }, actionGroup] }],
    );
    expect(merged.targets).toEqual([{ ...target('orders', 'orders-url', 7), dependents: [namedValue, actionGroup] }]);
    expect(merged.notes).toEqual([
      expect.stringMatching(/the listed settings are used, and the 1 dependent\(s\) of its tags are kept too/),
    ]);
  });

  it("leaves out a discovered target that would write another target's secret", () => {
    const merged = mergeTargets([target('orders', 'shared-url')], [target('invoices', 'SHARED-url')]);
    expect(merged.targets).toHaveLength(1);
    expect(merged.problems).toEqual([
      expect.objectContaining({
        errorCode: 'SecretNameCollision',
        message: expect.stringMatching(/would publish to secret 'SHARED-url'.*not rotated. Fix: .*sas-rotation-secret tag/),
      }),
    ]);
  });

  it('settles a secret name two discovered targets share by resource ID, whatever order ARM listed them in', () => {
    const [a, b] = [target('orders-a', 'orders-url'), target('orders-b', 'orders-url')];
    for (const discovered of [
      [a, b],
      [b, a],
    ] as RotationTarget[][]) {
      const merged = mergeTargets([], discovered);
      expect(merged.targets.map((t) => t.workflowId)).toEqual([a.workflowId]);
      expect(merged.problems.map((p) => [p.resourceId, p.errorCode])).toEqual([[b.workflowId, 'SecretNameCollision']]);
    }
  });

  it('leaves a contested secret with the workflow it already belongs to, whatever the resource IDs say', () => {
    const [a, b] = [target('orders-a', 'orders-url'), target('orders-b', 'orders-url')];
    expect(contestedSecretNames([a, b, target('invoices')])).toEqual(['orders-url']);

    const merged = mergeTargets([], [a, b], new Map([['orders-url', b.workflowId.toLowerCase()]]));

    expect(merged.targets.map((t) => t.workflowId)).toEqual([b.workflowId]);
    expect(merged.problems).toEqual([expect.objectContaining({ resourceId: a.workflowId, errorCode: 'SecretNameCollision' })]);
  });
});
