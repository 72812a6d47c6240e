import type { AzureEmulator } from '../../emulator/index';
import { describeTargetResult } from '../../src/rotation/describeTargetResult';
import type { RotationRunResult } from '../../src/rotation/runRotation';

/**
 * What a test file showed the outside world — run reports, log lines, CLI output — kept for its
 * last test, which checks with `expectNoIssuedSecrets` that none of it carries a secret.
 */
export class ProducedOutput {
  readonly texts: string[] = [];

  add(...texts: readonly string[]): void {
    this.texts.push(...texts);
  }

  /** A run's report as `--json` prints it, and each target's line as the logs describe it. */
  addRun(result: RotationRunResult): void {
    this.add(JSON.stringify(result), ...result.targets.map(describeTargetResult));
  }
}

/**
 * Asserts that nothing the suite produced (log lines, CLI output, reports, telemetry envelopes)
 * contains any `sig` or token the emulator ever issued, in plain or URL-encoded form.
 */
export function expectNoIssuedSecrets(produced: readonly string[], emulator: AzureEmulator): void {
  const text = [...produced, ...emulator.appInsights.envelopes.map((envelope) => JSON.stringify(envelope))].join('\n');
  const { sigs, tokens } = emulator.issuedSecrets();
  expect(sigs.length).toBeGreaterThan(5);
  expect(tokens.length).toBeGreaterThan(0);
  expect(text.length).toBeGreaterThan(1000);
  const leaked = [...sigs, ...tokens].filter((secret) => text.includes(secret) || text.includes(encodeURIComponent(secret)));
  expect(leaked).toEqual([]);
  for (const token of tokens) {
    expect(text).not.toContain(token.split('.')[2]);
  }
  expect(text).not.toMatch(/[?&]sig=/);
  expect(text).not.toMatch(/Bearer\s+[A-Za-z0-9]/);
}
