import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { settingNames } from '../../src/composition/config';
import { dependentUpdateRoleActions } from '../../src/azure/dependentUpdateRoleActions';
import { workflowKeyRoleActions, workflowKeyRoleNotActions } from '../../src/azure/logicApps/workflowKeyRoleActions';
import {
  filesUnder,
  objectProperties,
  parseBicep,
  resourceBody,
  resourcesOfType,
  stringValue,
  syntaxErrors,
  walk,
  type BicepFile,
} from './bicepSyntax';

/**
 * Offline checks of infra/: nothing here can reach Azure or run the Bicep CLI, so the templates are
 * parsed with the tree-sitter Bicep grammar and checked against the code they must agree with.
 */
const root = join(__dirname, '..', '..');
const infra = join(root, 'infra');
let files: BicepFile[];

beforeAll(async () => {
  files = await Promise.all(filesUnder(infra, '.bicep').map(parseBicep));
});

const file = (relative: string): BicepFile => {
  const found = files.find((f) => f.path === join(infra, relative));
  if (!found) throw new Error(`infra/${relative} is missing`);
  return found;
};

describe('infra/ Bicep', () => {
  it('has the azd layout and every .bicep file parses without a syntax error', () => {
    expect(files.map((f) => f.path.slice(infra.length + 1))).toEqual(
      expect.arrayContaining(['main.bicep', 'app/rotator.bicep', 'monitoring/rotation-alerts.bicep', 'monitoring/rotation-workbook.bicep']),
    );
    expect(JSON.parse(readFileSync(join(infra, 'main.parameters.json'), 'utf8'))).toHaveProperty('parameters');
    expect(readFileSync(join(root, 'azure.yaml'), 'utf8')).toMatch(/host: function/);
    expect(files.flatMap(syntaxErrors)).toEqual([]);
  });

  it('the syntax check can fail: a broken template is reported with its line', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'bicep-')), 'broken.bicep');
    writeFileSync(path, "param name string\nresource r 'Microsoft.Web/sites@2024-04-01' = {\n  name: name\n  properties: {\n");
    expect(syntaxErrors(await parseBicep(path)).join('\n')).toMatch(/broken\.bicep:\d+:\d+/);
  });

  it('describes every parameter as Required. or Optional.', () => {
    const undescribed = files.flatMap((f) =>
      [...walk(f.root)]
        .filter((node) => node.type === 'parameter_declaration')
        .filter((param) => {
          const decorators = param.previousSibling?.type === 'decorators' ? param.previousSibling.text : '';
          return !/@description\(\s*'(Required|Optional)\. /.test(decorators);
        })
        .map((param) => `${f.path}: ${param.text.split('\n')[0]}`),
    );
    expect(undescribed).toEqual([]);
  });

  it('names every role assignment guid(scope, principal, role) and sets principalType', () => {
    const assignments = files.flatMap((f) => resourcesOfType(f, 'Microsoft.Authorization/roleAssignments').map((r) => ({ f, r })));
    expect(assignments.length).toBeGreaterThanOrEqual(4);
    for (const { f, r } of assignments) {
      const body = objectProperties(resourceBody(r));
      const name = body.get('name');
      expect({ file: f.path, name: name?.text }).toEqual({ file: f.path, name: expect.stringMatching(/^guid\([^,]+,[^,]+,[^)]+\)$/s) });
      const properties = objectProperties(body.get('properties'));
      expect({ file: f.path, principalType: properties.get('principalType')?.text }).toEqual({
        file: f.path,
        principalType: expect.stringMatching(/^'(ServicePrincipal|User|Group)'$|^\w+$/),
      });
      expect(properties.has('principalId') && properties.has('roleDefinitionId')).toBe(true);
    }
  });

  it('never reads account keys: no listKeys( and no AccountKey= anywhere in infra/', () => {
    for (const path of [...filesUnder(infra, '.bicep'), ...filesUnder(infra, '.json')]) {
      const text = readFileSync(path, 'utf8');
      expect({ path, listKeys: /listKeys\s*\(/i.test(text), accountKey: /AccountKey=/i.test(text) }).toEqual({
        path,
        listKeys: false,
        accountKey: false,
      });
    }
  });

  /** The actions and notActions of the one role definition in infra/<relative>. */
  const roleOf = (relative: string): { listed: (name: string) => Array<string | undefined>; text: string } => {
    const roles = resourcesOfType(file(relative), 'Microsoft.Authorization/roleDefinitions');
    expect({ relative, roles: roles.length }).toEqual({ relative, roles: 1 });
    const properties = objectProperties(objectProperties(resourceBody(roles[0] as never)).get('properties'));
    const permissions = properties.get('permissions');
    const listed = (name: string): Array<string | undefined> => {
      const array = [...walk(permissions as never)].find((node) => node.type === 'object_property' && node.children[0]?.text === name);
      return [...walk(array as never)].filter((node) => node.type === 'string').map(stringValue);
    };
    return { listed, text: (permissions as { text: string }).text };
  };

  it('defines two custom roles, the workflow key role and the dependent update role, and no other', () => {
    const defining = files.filter((f) => resourcesOfType(f, 'Microsoft.Authorization/roleDefinitions').length > 0);
    expect(defining.map((f) => f.path.slice(infra.length + 1))).toEqual([
      'core/security/dependent-update-role.bicep',
      'core/security/workflow-key-role.bicep',
    ]);
  });

  it('grants the custom role exactly the actions of src/azure/logicApps/workflowKeyRoleActions.ts', () => {
    const role = roleOf('core/security/workflow-key-role.bicep');
    expect(role.listed('actions').sort()).toEqual(workflowKeyRoleActions.map((entry) => entry.action).sort());
    expect(role.listed('notActions').sort()).toEqual([...workflowKeyRoleNotActions].sort());
    expect(role.text).not.toMatch(/'\*'|Microsoft\.(Logic|Web)\/\*|sites\/hostruntime\/\*/);
  });

  it('grants the dependent update role exactly the actions of src/azure/dependentUpdateRoleActions.ts, no wildcard and no data action', () => {
    const role = roleOf('core/security/dependent-update-role.bicep');
    expect(role.listed('actions').sort()).toEqual(dependentUpdateRoleActions.map((entry) => entry.action).sort());
    expect(role.listed('notActions')).toEqual([]);
    expect(role.listed('dataActions')).toEqual([]);
    expect(role.text).not.toMatch(/\*/);
  });

  it('main.bicep deploys both role definitions and hands their GUIDs and scopes to the access templates', () => {
    const main = file('main.bicep').text;
    expect(main).toMatch(/^module \w+ 'core\/security\/workflow-key-role\.bicep'/m);
    expect(main).toMatch(/^module \w+ 'core\/security\/dependent-update-role\.bicep'/m);
    for (const output of [
      'WORKFLOW_KEY_ROLE_GUID',
      'WORKFLOW_KEY_ROLE_RESOURCE_GROUP_IDS',
      'DEPENDENT_UPDATE_ROLE_GUID',
      'DEPENDENT_UPDATE_ROLE_SCOPE_IDS',
    ])
      expect(main).toMatch(new RegExp(`^output ${output} `, 'm'));
    // The access templates' own comments name the outputs they take.
    expect(file('access/workflow-access.bicep').text).toMatch(/WORKFLOW_KEY_ROLE_GUID/);
    expect(file('access/dependents-access.bicep').text).toMatch(/DEPENDENT_UPDATE_ROLE_GUID[\s\S]*DEPENDENT_UPDATE_ROLE_SCOPE_IDS/);
  });

  it('sets every app setting of docs/design.md §4.2 that the settings parser reads, and no unknown ones', () => {
    const rotator = file('app/rotator.bicep');
    const declaration = [...walk(rotator.root)].find(
      (node) => node.type === 'variable_declaration' && node.children[1]?.text === 'appSettings',
    );
    expect(declaration).toBeDefined();
    const names = [...walk(declaration as never)]
      .filter((node) => node.type === 'object_property' && node.children[0]?.text === 'name')
      .map((node) => stringValue(node.children[node.children.length - 1]));
    const hostSettings = names.filter((name) => name?.startsWith('AzureWebJobsStorage__'));
    expect(hostSettings).toEqual(
      expect.arrayContaining([
        'AzureWebJobsStorage__blobServiceUri',
        'AzureWebJobsStorage__queueServiceUri',
        'AzureWebJobsStorage__credential',
        'AzureWebJobsStorage__clientId',
      ]),
    );
    expect(names.filter((name) => !name?.startsWith('AzureWebJobsStorage__')).sort()).toEqual([...settingNames].sort());
  });

  it('local.settings.sample.json lists every setting the parser reads', () => {
    const sample = JSON.parse(readFileSync(join(root, 'local.settings.sample.json'), 'utf8')) as { Values: Record<string, string> };
    expect(Object.keys(sample.Values)).toEqual(expect.arrayContaining([...settingNames]));
  });
});
