import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { byOperationAndStatus, formatCoverage, type CoverageRow } from './OpenApiConformance';
import { coverageDirectory } from './conformanceCheck';

/**
 * jest globalSetup/globalTeardown: clear, then sum and print, what every test file's emulator
 * validated against the published specs, so a reader sees what was checked (operation × status ×
 * pairs). Mismatches fail the test file whose emulator saw them; this only reports.
 */
export function clearCoverage(): void {
  rmSync(coverageDirectory, { recursive: true, force: true });
}

export function printCoverage(): void {
  if (!existsSync(coverageDirectory)) return;
  const rows = new Map<string, CoverageRow & { validated: number; skipped: number }>();
  for (const file of readdirSync(coverageDirectory)) {
    for (const row of JSON.parse(readFileSync(join(coverageDirectory, file), 'utf8')) as CoverageRow[]) {
      const key = `${row.operation} ${row.status}`;
      const total = rows.get(key) ?? { ...row, validated: 0, skipped: 0 };
      total.validated += row.validated;
      total.skipped += row.skipped;
      rows.set(key, total);
    }
  }
  const sorted = [...rows.values()].sort(byOperationAndStatus);
  const validated = sorted.reduce((sum, row) => sum + row.validated, 0);
  process.stdout.write(
    `\nOpenAPI conformance (oav against test/openapi/specs): ${validated} request/response pairs validated\n${formatCoverage(sorted)}\n`,
  );
}
