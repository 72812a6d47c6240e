import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AzureEmulator } from '../../emulator/index';
import { checkConformance, type ConformanceProblem } from './OpenApiConformance';

/** Where each emulator writes what it validated; the suite's teardown prints the whole table. */
export const coverageDirectory = join(__dirname, '..', '..', '.emulator', 'openapi-coverage');

/**
 * The emulator with its `stop()` extended: the exchanges it recorded are checked against the
 * published specs, and any mismatch fails the test file that started it (from its afterAll).
 * `OPENAPI_CONFORMANCE=off` turns the check off (local debugging only; CI never sets it).
 */
export function withConformanceCheck(emulator: AzureEmulator): AzureEmulator {
  if (process.env.OPENAPI_CONFORMANCE === 'off') return emulator;
  let checked: Promise<void> | undefined;
  return {
    ...emulator,
    stop: () => {
      checked ??= (async () => {
        await emulator.stop();
        const report = await checkConformance(emulator.exchanges);
        mkdirSync(coverageDirectory, { recursive: true });
        writeFileSync(
          join(coverageDirectory, `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`),
          JSON.stringify(report.coverage),
        );
        if (report.problems.length > 0) {
          throw new Error(
            `Traffic between sas-rotator and the emulator that Microsoft's published specs reject (${report.problems.length}):\n${describe(report.problems)}`,
          );
        }
      })();
      return checked;
    },
  };
}

function describe(problems: readonly ConformanceProblem[]): string {
  const distinct = new Map<string, { problem: ConformanceProblem; count: number }>();
  for (const problem of problems) {
    const key = `${problem.operationId} ${problem.status} ${problem.direction} ${problem.code} ${problem.path}`;
    const entry = distinct.get(key) ?? { problem, count: 0 };
    entry.count += 1;
    distinct.set(key, entry);
  }
  return [...distinct.values()]
    .map(
      ({ problem, count }) =>
        `  ${problem.direction === 'request' ? 'product bug' : 'emulator bug'}: ${problem.operationId} ${problem.status} ${problem.direction} ${problem.code} at ${problem.path || '(whole)'} ×${count}: ${problem.message}`,
    )
    .join('\n');
}
