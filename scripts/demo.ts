/**
 * `npm run demo`: a real rotation, end to end, on this machine. Starts the bundled Azure emulator,
 * seeds three workflows, and runs the timer function's own handler twice through the real Azure
 * SDK clients (credentials from the managed-identity endpoint, like in Azure).
 */
import { DefaultAzureCredential } from '@azure/identity';
import { InvocationContext, type Timer } from '@azure/functions';
import { SecretClient } from '@azure/keyvault-secrets';
import { demoApimNamedValueId, seedDemoEstate } from '../emulator/demoEstate';
import { startEmulator, type AzureEmulator } from '../emulator/index';
import { runWithEmulatorCa, trustsEmulatorCa } from '../emulator/withEmulatorCa';
import { formatTable } from '../src/cli/formatTable';
import { closeProcessServices } from '../src/composition/processServices';
import { scrubSecrets } from '../src/rotation/scrubSecrets';
import { workflowHostLabel } from '../src/cli/workflowHostLabel';
import type { RotationRunResult } from '../src/rotation/runRotation';

async function main(): Promise<number> {
  // Node trusts extra CAs only from NODE_EXTRA_CA_CERTS read at start-up: re-run ourselves with it.
  if (!(await trustsEmulatorCa())) return runWithEmulatorCa(process.execPath, process.argv.slice(1));

  const startedAt = Date.now();
  const emulator = await startEmulator();
  try {
    const targets = seedDemoEstate(emulator);
    Object.assign(process.env, emulator.environment(), { ROTATION_TARGETS: JSON.stringify(targets), ROTATION_INTERVAL_DAYS: '30' });
    console.log('sas-rotator demo: local Azure emulator started (ARM, Key Vault, Application Insights, managed identity).');
    console.log(
      `Seeded ${targets.length} targets: 2 Logic Apps Consumption workflows, 1 Logic Apps Standard workflow, 1 Power Automate flow (one key: a hard cut), and 1 workflow whose only trigger is a Recurrence, so it has no callback URL to rotate. orders-intake is fronted by API Management, whose named value holds its sig: a dependent sas-rotator keeps in step.\n`,
    );

    // Loaded only now: the function module reads its settings from the environment set above.
    // Outside the Functions host, @azure/functions warns that it runs in test mode; that is expected here.
    const warn = console.warn;
    console.warn = () => undefined;
    const { rotateSasKeys } = await import('../src/functions/rotateSasKeys').finally(() => {
      console.warn = warn;
    });
    const timer: Timer = { isPastDue: false, schedule: { adjustForDST: true }, scheduleStatus: { last: '', next: '', lastUpdated: '' } };
    const invoke = (invocationId: string): Promise<RotationRunResult> =>
      rotateSasKeys(timer, new InvocationContext({ invocationId, functionName: 'rotateSasKeys', logHandler: () => undefined }));

    const first = await invoke('demo-pass-1');
    printPass('Pass 1 — first rotation: the Secondary key is regenerated; URLs copied from the portal (Primary) keep working', first);
    // Someone copies the freshly published URL into a script: an unmanaged copy nobody will update.
    const ordersSecret = first.targets.find((t) => t.workflowId.endsWith('/orders-intake'))?.secretName ?? '';
    const unmanagedCopy = emulator.keyVault.latest(ordersSecret)?.value ?? '';
    printDependents(emulator, unmanagedCopy);

    await fastForward(emulator.keyVaultUri, first, 31);
    console.log('\n…31 days later (the demo back-dates the rotatedAt tags in Key Vault)…\n');

    const second = await invoke('demo-pass-2');
    printPass('Pass 2 — the interval elapsed: the other key (Primary) is regenerated; the pass-1 URL stays valid until pass 3', second);
    printDependents(emulator, unmanagedCopy);

    await fastForward(emulator.keyVaultUri, second, 31);
    console.log('\n…31 more days later…\n');

    const third = await invoke('demo-pass-3');
    printPass(
      'Pass 3 — Secondary again: the pass-1 URL dies; the API Management named value was kept in step, so the API still answers',
      third,
    );
    printDependents(emulator, unmanagedCopy);

    console.log("\nEvery URL consumers may hold, checked against the workflows' current keys (the emulator's oracle):");
    for (const target of third.targets) {
      const versions = emulator.keyVault.versions(target.secretName);
      if (versions.length === 0) {
        console.log(`  ${workflowName(target.workflowId).padEnd(16)} nothing published`);
        continue;
      }
      const verdict = (value: string): string => (emulator.logic.isCallbackUrlValid(value) ? 'works' : 'BROKEN');
      const newest = versions[versions.length - 1]?.value ?? '';
      const previous = versions.length > 1 ? versions[versions.length - 2]?.value : undefined;
      const hardCut = target.workflowId.includes('/Microsoft.ProcessSimple/');
      console.log(
        `  ${workflowName(target.workflowId).padEnd(16)} latest version (pass 3): ${verdict(newest)}${previous ? `; superseded version (pass 2): ${verdict(previous)}${hardCut ? ' (expected: one key, hard cut)' : ''}` : ''}`,
      );
    }
    const events = emulator.appInsights.envelopes.map((e) => (e.data as { baseData?: { name?: string } } | undefined)?.baseData?.name);
    const count = (name: string): number => events.filter((e) => e === name).length;
    console.log(
      `\nApplication Insights received ${count('SasKeyRotated')} SasKeyRotated, ${count('SasKeyDependentUpdated')} SasKeyDependentUpdated, ${count('SasKeyRotationFailed')} SasKeyRotationFailed and ${count('SasKeyRotationRun')} SasKeyRotationRun events.`,
    );
    console.log(
      `Demo finished in ${((Date.now() - startedAt) / 1000).toFixed(1)} s. Secrets are shown by fingerprint only: a sig never leaves the process.`,
    );
    return 0;
  } finally {
    await closeProcessServices();
    await emulator.stop();
  }
}

function printPass(title: string, result: RotationRunResult): void {
  console.log(`${title}\n`);
  const rows = result.targets.map((t) => [
    workflowName(t.workflowId),
    workflowHostLabel(t.workflowId),
    t.action === 'failed' ? '-' : `${t.keyType ?? '-'}${t.workflowId.includes('/Microsoft.ProcessSimple/') ? ' (hard cut)' : ''}`,
    t.newSigFingerprint ? `${t.oldSigFingerprint ?? '-'} -> ${t.newSigFingerprint}` : '-',
    t.secretVersion ? t.secretVersion.slice(0, 12) : '-',
    t.action === 'failed' ? `FAILED at ${t.error?.step}: ${t.error?.code ?? ''} ${t.error?.message ?? ''}`.trim() : t.action,
  ]);
  console.log(formatTable(['WORKFLOW', 'HOST', 'KEY REGENERATED', 'SIG FINGERPRINT (OLD -> NEW)', 'SECRET VERSION', 'RESULT'], rows));
  console.log(`\nRun outcome: ${result.outcome}`);
}

/**
 * orders-intake's callers that keep their own copy: the API Management API in front of it (its named
 * value is a dependent, updated after each rotation) and a script holding the URL published in pass 1.
 */
function printDependents(emulator: AzureEmulator, unmanagedCopy: string): void {
  const verdict = (works: boolean): string => (works ? 'answers' : 'BROKEN');
  console.log(
    `\n  orders-intake via API Management (named value orders-intake-sig, a dependent): ${verdict(emulator.apiManagement.urlWorks(demoApimNamedValueId))}; ` +
      `a script's unmanaged copy of the pass-1 URL: ${verdict(emulator.logic.isCallbackUrlValid(unmanagedCopy))}`,
  );
}

/** Back-dates the `rotatedAt` tag of each published secret, as if `days` had passed. */
async function fastForward(vaultUri: string, result: RotationRunResult, days: number): Promise<void> {
  const client = new SecretClient(vaultUri, new DefaultAzureCredential(), { disableChallengeResourceVerification: true });
  for (const target of result.targets) {
    if (!target.secretVersion) continue;
    const { properties } = await client.getSecret(target.secretName);
    const rotatedAt = new Date(Date.parse(properties.tags?.rotatedAt ?? '') - days * 24 * 60 * 60 * 1000);
    await client.updateSecretProperties(target.secretName, target.secretVersion, {
      tags: { ...properties.tags, rotatedAt: rotatedAt.toISOString() },
    });
  }
}

function workflowName(workflowId: string): string {
  const name = workflowId.split('/').pop() ?? workflowId;
  // Power Automate flows are named by GUID; a short form keeps the table readable.
  return workflowId.includes('/Microsoft.ProcessSimple/') ? `flow ${name.slice(0, 8)}…` : name;
}

// Ends the process once the output is written: the telemetry SDK's statsbeat timer, which its
// shutdown does not clear, would otherwise keep a finished demo alive for another 20 s.
const exitWhenOutputWritten = (status: number): void => {
  process.exitCode = status;
  process.stdout.write('', () => process.stderr.write('', () => process.exit()));
};

main().then(exitWhenOutputWritten, (error: unknown) => {
  console.error(`demo failed: ${scrubSecrets(error instanceof Error ? error.message : String(error))}`);
  exitWhenOutputWritten(1);
});
