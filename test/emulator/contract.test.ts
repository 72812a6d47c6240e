import * as fs from 'fs';
import * as path from 'path';
import { startTestEmulator, useEmulator } from '../support/emulatorEnvironment';
import { callEmulator, expectSameShape } from './emulatorTestKit';

/** An official example: the request parameters and the answers, by status. */
interface ReferenceExample {
  readonly parameters: Record<string, unknown>;
  readonly responses: Record<string, { readonly body?: unknown }>;
}

function reference(name: string): ReferenceExample {
  return JSON.parse(fs.readFileSync(path.join(__dirname, 'reference', `${name}.json`), 'utf8')) as ReferenceExample;
}

function okBody(example: ReferenceExample): unknown {
  return example.responses['200']?.body;
}

const subscriptionId = '34adfa4f-cedf-4dc0-ba29-b6d1a69ab345';
const resourceGroup = 'test-resource-group';

describe('the emulator answers like the official Azure examples', () => {
  const emulator = useEmulator({ conformanceCheck: false, environment: 'none' });
  let armToken: string;
  let vaultToken: string;
  let workflowUrl: string;

  beforeAll(() => {
    const workflowId = emulator.logic.addWorkflow({ subscriptionId, resourceGroup, name: 'test-workflow' });
    workflowUrl = `${emulator.armEndpoint}${workflowId}`;
    armToken = emulator.issueAccessToken(`${emulator.armEndpoint}/.default`);
    vaultToken = emulator.issueAccessToken('https://vault.azure.net/.default');
  });

  const arm = (method: string, suffix: string, body?: unknown) =>
    callEmulator(method, `${workflowUrl}${suffix}${suffix.includes('?') ? '&' : '?'}api-version=2019-05-01`, { token: armToken, body });
  const vault = (method: string, secretPath: string, body?: unknown) =>
    callEmulator(method, `${emulator.keyVaultUri}${secretPath}${secretPath.includes('?') ? '&' : '?'}api-version=7.6`, {
      token: vaultToken,
      body,
    });

  describe('Microsoft.Logic 2019-05-01', () => {
    it('Workflows_Get', async () => {
      const answer = await arm('GET', '');
      expect(answer.status).toBe(200);
      expectSameShape(answer.body, okBody(reference('Workflows_Get')), {
        // Present only for workflows attached to an integration account or an ISE.
        optional: ['$.properties.integrationAccount', '$.properties.integrationServiceEnvironment'],
      });
    });

    it('WorkflowTriggers_List', async () => {
      const answer = await arm('GET', '/triggers');
      expect(answer.status).toBe(200);
      expectSameShape(answer.body, okBody(reference('WorkflowTriggers_List')));
    });

    it('WorkflowTriggers_Get', async () => {
      const answer = await arm('GET', '/triggers/manual');
      expect(answer.status).toBe(200);
      expectSameShape(answer.body, okBody(reference('WorkflowTriggers_Get')));
    });

    it('WorkflowTriggers_ListCallbackUrl', async () => {
      const answer = await arm('POST', '/triggers/manual/listCallbackUrl');
      expect(answer.status).toBe(200);
      expectSameShape(answer.body, okBody(reference('WorkflowTriggers_ListCallbackUrl')));
    });

    it('WorkflowVersionTriggers_ListCallbackUrl', async () => {
      const example = reference('WorkflowVersionTriggers_ListCallbackUrl');
      const workflow = (await arm('GET', '')).body as { properties: { version: string } };
      const answer = await arm(
        'POST',
        `/versions/${workflow.properties.version}/triggers/manual/listCallbackUrl`,
        example.parameters['parameters'],
      );
      expect(answer.status).toBe(200);
      // `se` is a documented WorkflowTriggerListCallbackUrlQueries field, reported whenever notAfter is given
      // (as Workflows_ListCallbackUrl's example shows); this example happens to omit it.
      expectSameShape(answer.body, okBody(example), { extra: ['$.queries.se'] });
    });

    it('Workflows_ListCallbackUrl', async () => {
      const example = reference('Workflows_ListCallbackUrl');
      const answer = await arm('POST', '/listCallbackUrl', {
        ...(example.parameters['listCallbackUrl'] as object),
        notAfter: '2999-01-01T00:00:00Z',
      });
      expect(answer.status).toBe(200);
      expectSameShape(answer.body, okBody(example));
    });

    it('Workflows_RegenerateAccessKey: 200 with an empty body', async () => {
      const example = reference('Workflows_RegenerateAccessKey');
      const answer = await arm('POST', '/regenerateAccessKey', example.parameters['keyType']);
      expect(answer.status).toBe(200);
      expect(Object.keys(example.responses['200'] ?? {})).toEqual([]);
      expect(answer.text).toBe('');
    });
  });

  describe('Microsoft.Web 2024-04-01 (Logic Apps Standard)', () => {
    const site = 'test-name';
    let siteUrl: string;
    const web = (method: string, suffix: string, body?: unknown) =>
      callEmulator(method, `${siteUrl}${suffix}?api-version=2024-04-01`, { token: armToken, body });
    const management = '/hostruntime/runtime/webhooks/workflow/api/management/workflows/test-workflow';

    beforeAll(() => {
      emulator.logic.addStandardWorkflow({ subscriptionId, resourceGroup, site, name: 'test-workflow' });
      emulator.logic.addStandardWorkflow({ subscriptionId, resourceGroup, site, name: 'stateless2', kind: 'Stateless' });
      siteUrl = `${emulator.armEndpoint}/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Web/sites/${site}`;
    });

    it('WebApps_ListWorkflows', async () => {
      const answer = await web('GET', '/workflows');
      expect(answer.status).toBe(200);
      // The example's second workflow is unhealthy; a healthy one has no health.error.
      expectSameShape(answer.body, okBody(reference('web/ListWorkflows')));
      expect((answer.body as { value: Array<{ kind: string }> }).value.map((workflow) => workflow.kind)).toEqual(['Stateful', 'Stateless']);
    });

    it('WorkflowTriggers_ListCallbackUrl', async () => {
      const answer = await web('POST', `${management}/triggers/manual/listCallbackUrl`);
      expect(answer.status).toBe(200);
      expectSameShape(answer.body, okBody(reference('web/WorkflowTriggers_ListCallbackUrl')));
    });

    it('Workflows_RegenerateAccessKey: 200 with an empty body', async () => {
      const example = reference('web/Workflows_RegenerateAccessKey');
      const answer = await web('POST', `${management}/regenerateAccessKey`, example.parameters['keyType']);
      expect(answer.status).toBe(200);
      expect(Object.keys(example.responses['200'] ?? {})).toEqual([]);
      expect(answer.text).toBe('');
    });
  });

  describe('Key Vault secrets 7.6', () => {
    const recoveryAttributes = ['$.attributes.recoverableDays'];
    const itemRecoveryAttributes = ['$.value[].attributes.recoveryLevel', '$.value[].attributes.recoverableDays'];

    it('SetSecret', async () => {
      const example = reference('SetSecret-example');
      const answer = await vault('PUT', 'secrets/crpsecret', example.parameters['parameters']);
      expect(answer.status).toBe(200);
      expectSameShape(answer.body, okBody(example), { extra: recoveryAttributes });
    });

    it('GetSecret', async () => {
      const example = reference('GetSecret-example');
      const version = emulator.keyVault.seed('mysecretname', 'mysecretvalue').version;
      const answer = await vault('GET', `secrets/mysecretname/${version}`);
      expect(answer.status).toBe(200);
      expectSameShape(answer.body, okBody(example), { extra: recoveryAttributes });
    });

    it('GetSecretVersions', async () => {
      const example = reference('GetSecretVersions-example');
      emulator.keyVault.seed('listsecretversionstest', 'one');
      emulator.keyVault.seed('listsecretversionstest', 'two');
      const answer = await vault('GET', `secrets/listsecretversionstest/versions?maxresults=${String(example.parameters['maxresults'])}`);
      expect(answer.status).toBe(200);
      expectSameShape(answer.body, okBody(example), { extra: itemRecoveryAttributes });
    });

    it('GetSecrets', async () => {
      const example = reference('GetSecrets-example');
      // A vault of its own, so that the first page holds the secrets seeded here and nothing else.
      const ownVault = await startTestEmulator({ conformanceCheck: false });
      try {
        ownVault.keyVault.seed('listsecrettest0', 'zero', { contentType: 'plainText' });
        ownVault.keyVault.seed('listsecrettest1', 'one', { contentType: 'plainText' });
        const answer = await callEmulator(
          'GET',
          `${ownVault.keyVaultUri}secrets?api-version=7.6&maxresults=${String(example.parameters['maxresults'])}`,
          {
            token: ownVault.issueAccessToken('https://vault.azure.net'),
          },
        );
        expect(answer.status).toBe(200);
        expectSameShape(answer.body, okBody(example), { extra: itemRecoveryAttributes });
      } finally {
        await ownVault.stop();
      }
    });

    it('UpdateSecret', async () => {
      const example = reference('UpdateSecret-example');
      const version = emulator.keyVault.seed('updatedsecret', 'value').version;
      const answer = await vault('PATCH', `secrets/updatedsecret/${version}`, example.parameters['parameters']);
      expect(answer.status).toBe(200);
      expectSameShape(answer.body, okBody(example), { extra: recoveryAttributes });
    });
  });

  describe('Application Insights ingestion v2.1', () => {
    const example = reference('track');
    const instrumentationKey = (): string => /InstrumentationKey=([^;]+)/.exec(emulator.appInsightsConnectionString)?.[1] ?? '';
    const envelopes = (time: string) =>
      (example.parameters['body'] as Record<string, unknown>[]).map((envelope) => ({ ...envelope, iKey: instrumentationKey(), time }));

    it('track (accepted)', async () => {
      const answer = await callEmulator(
        'POST',
        `${emulator.appInsightsConnectionString.match(/IngestionEndpoint=([^;]+)/)?.[1] ?? ''}v2.1/track`,
        {
          body: envelopes(new Date().toISOString()),
        },
      );
      expect(answer.status).toBe(200);
      expectSameShape(answer.body, okBody(example));
      expect(answer.body).toMatchObject({ itemsReceived: 7, itemsAccepted: 7, errors: [] });
    });

    it('track (refused items carry per-item errors)', async () => {
      const stale = envelopes('2020-09-22T10:12:53.208-0700');
      const answer = await callEmulator(
        'POST',
        `${emulator.appInsightsConnectionString.match(/IngestionEndpoint=([^;]+)/)?.[1] ?? ''}v2.1/track`,
        {
          body: stale,
        },
      );
      expect(answer.status).toBe(400);
      expectSameShape(answer.body, example.responses['400']?.body);
    });
  });
});
