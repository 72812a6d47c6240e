import { formatRunReport, formatStatusReport } from '../src/cli/main';
import { nothingKnown, type TargetStatus } from '../src/rotation/inspectTarget';
import type { RotationRunResult } from '../src/rotation/runRotation';

const consumption = '/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg/providers/Microsoft.Logic/workflows/orders';
const standard =
  '/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg/providers/Microsoft.Web/sites/app/workflows/invoices';
const flow = '/providers/Microsoft.ProcessSimple/environments/Default-1/flows/2635d931-0000-4000-8000-000000000001';

function row(table: string, workflow: string): string {
  return table.split('\n').find((line) => line.startsWith(`${workflow} `)) ?? '';
}

describe('the status table', () => {
  it('shows a never-published target as never rotated and due now, with no URL to judge', () => {
    const statuses: TargetStatus[] = [
      { workflowId: consumption, trigger: 'manual', secretName: 'orders-url', ...nothingKnown, due: true, reason: 'first' },
    ];

    const line = row(formatStatusReport(statuses), 'orders');

    expect(line.split(/\s{2,}/)).toEqual(['orders', 'Consumption', 'orders-url', '-', 'never', 'now', '-', '-', 'yes (first)']);
  });

  it('shows an unreadable target as unknown, never as NO, never or now', () => {
    const statuses: TargetStatus[] = [
      {
        workflowId: consumption,
        trigger: 'manual',
        secretName: 'orders-url',
        ...nothingKnown,
        error: { step: 'readSecret', statusCode: 403, code: 'Forbidden', message: 'denied' },
      },
    ];

    const table = formatStatusReport(statuses);

    expect(row(table, 'orders').split(/\s{2,}/)).toEqual([
      'orders',
      'Consumption',
      'orders-url',
      'unknown',
      'unknown',
      'unknown',
      'unknown',
      'unknown',
      'unknown',
    ]);
    expect(table).toMatch(/orders: cannot read \(403 Forbidden\): denied/);
  });

  it("names each target's host", () => {
    const published = {
      trigger: 'manual',
      keyType: 'Secondary',
      rotatedAt: '2026-01-01T00:00:00.000Z',
      expiresOn: undefined,
      nextDueAt: '2026-01-31T00:00:00.000Z',
      sigFingerprint: '0123456789abcdef',
      due: false,
      reason: 'notDue',
      urlWorks: true,
    } as const;
    const table = formatStatusReport([
      { workflowId: consumption, secretName: 'a', ...published },
      { workflowId: standard, secretName: 'b', ...published },
      { workflowId: flow, secretName: 'c', ...published },
    ]);

    expect(table.split('\n')[0]).toMatch(/^WORKFLOW\s+HOST\s+SECRET/);
    expect(row(table, 'orders')).toMatch(
      /^orders\s+Consumption\s+a\s+Secondary\s+2026-01-01T00:00:00.000Z\s+2026-01-31T00:00:00.000Z\s+0123456789abcdef\s+yes\s+no$/,
    );
    expect(row(table, 'invoices')).toMatch(/^invoices\s+Standard\s+b\s/);
    expect(row(table, '2635d931-0000-4000-8000-000000000001')).toMatch(/\sPower Automate\s+c\s/);
  });
});

describe('the rotate table', () => {
  it("names each target's host", () => {
    const result: RotationRunResult = {
      outcome: 'Succeeded',
      invocationId: 'inv-1',
      durationMs: 12,
      targets: [
        {
          workflowId: standard,
          trigger: 'manual',
          secretName: 'b',
          action: 'rotated',
          reason: 'first',
          keyType: 'Secondary',
          secretVersion: 'v1',
          oldSigFingerprint: 'aaaa',
          newSigFingerprint: 'bbbb',
        },
        {
          workflowId: flow,
          trigger: 'manual',
          secretName: 'c',
          action: 'rotated',
          reason: 'first',
          keyType: 'Primary',
          secretVersion: 'v2',
          oldSigFingerprint: 'cccc',
          newSigFingerprint: 'dddd',
        },
      ],
    } as unknown as RotationRunResult;

    const table = formatRunReport(result);

    expect(table.split('\n')[0]).toMatch(/^WORKFLOW\s+HOST\s+TRIGGER/);
    expect(row(table, 'invoices')).toMatch(/^invoices\s+Standard\s+manual\s+rotated/);
    expect(row(table, '2635d931-0000-4000-8000-000000000001')).toMatch(/\sPower Automate\s+manual\s+rotated/);
  });
});
