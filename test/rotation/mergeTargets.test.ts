import { mergeTargets } from '../../src/rotation/mergeTargets';
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
    const merged = mergeTargets([target('orders', 'orders-url', 7)], [{ ...target('orders'), workflowId: target('orders').workflowId.toUpperCase() }, target('invoices')]);
    expect(merged.targets.map((t) => [t.secretName, t.intervalDays])).toEqual([
      ['orders-url', 7],
      ['invoices-manual-url', 30],
    ]);
    expect(merged.notes).toEqual([expect.stringMatching(/both listed and tagged: the listed settings are used/)]);
  });

  it('leaves out a discovered target that would write another target\'s secret', () => {
    const merged = mergeTargets([target('orders', 'shared-url')], [target('invoices', 'SHARED-url')]);
    expect(merged.targets).toHaveLength(1);
    expect(merged.notes[0]).toMatch(/would publish to secret 'SHARED-url'.*left out. Fix: set its sas-rotation-secret tag/);
  });
});
