import { ManagedIdentityCredential } from '@azure/identity';
import { LogicManagementClient } from '@azure/arm-logic';
import { callEmulator, useFidelityEmulator } from './emulatorTestKit';

const subscriptionId = '7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e5f';
const enabled = { 'sas-rotation': 'enabled' };

interface ArmPage {
  readonly value: Array<{ id: string; name: string; kind?: string; tags?: Record<string, string> }>;
  readonly nextLink?: string | null;
}

describe('discovery by tag: workflow and site lists carry tags and page with nextLink', () => {
  const emulator = useFidelityEmulator('managedIdentity');
  let token: string;

  beforeAll(async () => {
    token = (await new ManagedIdentityCredential().getToken(`${emulator.armEndpoint}/.default`)).token;
    for (let index = 0; index < 105; index += 1) {
      emulator.logic.addWorkflow({
        subscriptionId,
        resourceGroup: index < 60 ? 'rg-a' : 'rg-b',
        name: `wf-${String(index).padStart(3, '0')}`,
        ...(index % 10 === 0 ? { tags: { ...enabled, 'sas-rotation-secret': `wf-${index}-url`, 'sas-rotation-interval-days': '7' } } : {}),
      });
    }
    emulator.logic.addStandardWorkflow({ subscriptionId, resourceGroup: 'rg-a', site: 'std-tagged', name: 'one', siteTags: enabled });
    emulator.logic.addStandardWorkflow({
      subscriptionId,
      resourceGroup: 'rg-a',
      site: 'std-tagged',
      name: 'two',
      siteTags: { 'sas-rotation-trigger': 'manual' },
    });
    emulator.logic.addStandardWorkflow({ subscriptionId, resourceGroup: 'rg-b', site: 'std-untagged', name: 'three' });
    emulator.logic.addSite({ subscriptionId, resourceGroup: 'rg-b', name: 'plain-web-app', kind: 'app', tags: enabled });
    emulator.logic.addResourceGroup(subscriptionId, 'rg-empty');
  });

  /** Follows nextLink to the end; returns every item and the page sizes. */
  async function listAll(url: string): Promise<{ items: ArmPage['value']; pages: number[] }> {
    const items: ArmPage['value'] = [];
    const pages: number[] = [];
    let next: string | null | undefined = url;
    while (next) {
      const answer = await callEmulator('GET', next, { token });
      expect(answer.status).toBe(200);
      const page = answer.body as ArmPage;
      items.push(...page.value);
      pages.push(page.value.length);
      next = page.nextLink;
    }
    return { items, pages };
  }

  it('Consumption: tags in the subscription list, across nextLink pages', async () => {
    const { items, pages } = await listAll(
      `${emulator.armEndpoint}/subscriptions/${subscriptionId}/providers/Microsoft.Logic/workflows?api-version=2019-05-01`,
    );
    expect(pages).toEqual([100, 5]);
    const tagged = items.filter((workflow) => workflow.tags?.['sas-rotation'] === 'enabled');
    expect(tagged.map((workflow) => workflow.name)).toEqual(
      Array.from({ length: 11 }, (_unused, index) => `wf-${String(index * 10).padStart(3, '0')}`),
    );
    expect(tagged[1]?.tags).toEqual({ 'sas-rotation': 'enabled', 'sas-rotation-secret': 'wf-10-url', 'sas-rotation-interval-days': '7' });
    expect(items.find((workflow) => workflow.name === 'wf-001')?.tags).toEqual({});
  });

  it('Consumption: tags in the resource-group list, through the SDK pager too', async () => {
    const client = new LogicManagementClient(new ManagedIdentityCredential(), subscriptionId, { endpoint: emulator.armEndpoint });
    const byGroup = [];
    for await (const workflow of client.workflows.listByResourceGroup('rg-b')) byGroup.push(workflow);
    expect(byGroup).toHaveLength(45);
    expect(byGroup.filter((workflow) => workflow.tags?.['sas-rotation'] === 'enabled').map((workflow) => workflow.name)).toEqual([
      'wf-060',
      'wf-070',
      'wf-080',
      'wf-090',
      'wf-100',
    ]);
    const paged = await listAll(
      `${emulator.armEndpoint}/subscriptions/${subscriptionId}/resourceGroups/rg-a/providers/Microsoft.Logic/workflows?api-version=2019-05-01&$top=25`,
    );
    expect(paged.pages).toEqual([25, 25, 10]);
  });

  it('Standard: sites by subscription and by resource group, with kind and tags', async () => {
    const bySubscription = await listAll(
      `${emulator.armEndpoint}/subscriptions/${subscriptionId}/providers/Microsoft.Web/sites?api-version=2024-04-01`,
    );
    expect(bySubscription.items.map((site) => [site.name, site.kind, site.tags])).toEqual([
      ['std-tagged', 'functionapp,workflowapp', { 'sas-rotation': 'enabled', 'sas-rotation-trigger': 'manual' }],
      ['std-untagged', 'functionapp,workflowapp', {}],
      ['plain-web-app', 'app', enabled],
    ]);
    expect(bySubscription.items[0]?.id).toBe(
      `/subscriptions/${subscriptionId}/resourceGroups/rg-a/providers/Microsoft.Web/sites/std-tagged`,
    );
    const byGroup = await listAll(
      `${emulator.armEndpoint}/subscriptions/${subscriptionId}/resourceGroups/rg-b/providers/Microsoft.Web/sites?api-version=2024-04-01`,
    );
    expect(byGroup.items.map((site) => site.name)).toEqual(['std-untagged', 'plain-web-app']);
    const empty = await listAll(
      `${emulator.armEndpoint}/subscriptions/${subscriptionId}/resourceGroups/rg-empty/providers/Microsoft.Web/sites?api-version=2024-04-01`,
    );
    expect(empty.items).toEqual([]);
    const tagged = bySubscription.items.filter(
      (site) => site.kind?.split(',').includes('workflowapp') && site.tags?.['sas-rotation'] === 'enabled',
    );
    const workflows = await callEmulator('GET', `${emulator.armEndpoint}${tagged[0]?.id ?? ''}/workflows?api-version=2024-04-01`, {
      token,
    });
    expect((workflows.body as ArmPage).value.map((workflow) => workflow.name)).toEqual(['std-tagged/one', 'std-tagged/two']);
  });

  it('Standard: site lists page with nextLink', async () => {
    const crowded = '8e2f3041-5b6c-4d7e-9f0a-1b2c3d4e5f60';
    for (let index = 0; index < 102; index += 1)
      emulator.logic.addSite({ subscriptionId: crowded, resourceGroup: 'rg-many', name: `crowded-${index}` });
    const { items, pages } = await listAll(
      `${emulator.armEndpoint}/subscriptions/${crowded}/providers/Microsoft.Web/sites?api-version=2024-04-01`,
    );
    expect(pages).toEqual([100, 2]);
    expect(new Set(items.map((site) => site.name)).size).toBe(102);
    const operations = emulator.requests.filter((request) => request.subscriptionId === crowded).map((request) => request.operationId);
    expect(new Set(operations)).toEqual(new Set(['WebApps_List']));
  });

  it('refuses a resource group that does not exist, and a site name taken elsewhere', async () => {
    const answer = await callEmulator(
      'GET',
      `${emulator.armEndpoint}/subscriptions/${subscriptionId}/resourceGroups/rg-nope/providers/Microsoft.Web/sites?api-version=2024-04-01`,
      { token },
    );
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ error: { code: 'ResourceGroupNotFound' } });
    expect(() => emulator.logic.addSite({ subscriptionId: 'another', resourceGroup: 'rg', name: 'std-tagged' })).toThrow(/global/);
  });
});
