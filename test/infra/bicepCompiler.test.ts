import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  bicepEntryPoints,
  describeDiagnostic,
  locateBicep,
  pinnedBicepVersion,
  runBicep,
  unexplainedSuppressions,
  type BicepRun,
} from './bicepCli';
import { filesUnder } from './bicepSyntax';

/**
 * infra/ compiled and linted by the real Bicep CLI (the version .ci/bicep pins). Bicep exits 0 on
 * warnings, and a misspelt property or an unknown API version is only a warning, so every check here
 * fails on any diagnostic at all; a warning may stay only if its line suppresses it and says why.
 * Without the binary (a laptop without dotnet) the compile checks are skipped with a message; CI sets
 * CI_REQUIRE_BICEP=1, which turns a missing binary into a failure.
 */
const root = join(__dirname, '..', '..');
const infra = join(root, 'infra');
const bicep = locateBicep();
const requireBicep = process.env['CI_REQUIRE_BICEP'] === '1';

/** Everything a clean run must not have: a diagnostic, other stderr output, or a failed exit. */
function problemsOf(run: BicepRun): string[] {
  return [
    ...run.diagnostics.map(describeDiagnostic),
    ...run.otherOutput.map((line) => `stderr: ${line}`),
    ...(run.exitCode === 0 ? [] : [`exit code ${run.exitCode}`]),
  ];
}

describe('infra/ and the Bicep compiler', () => {
  it(`uses the pinned Bicep CLI ${pinnedBicepVersion()}, or says that the compile check is skipped (never in CI)`, () => {
    if (bicep.path) {
      // A BICEP_PATH to another version would check against other resource types than CI's.
      const version = spawnSync(bicep.path, ['--version'], { encoding: 'utf8' });
      expect(version.stdout).toContain(`Bicep CLI version ${pinnedBicepVersion()} `);
      return;
    }
    const message = `Bicep compile check SKIPPED: no Bicep CLI at ${bicep.searched.join(' or ')}. Run \`bash .ci/bicep/install.sh\` (needs dotnet) or set BICEP_PATH.`;
    if (requireBicep) throw new Error(`CI_REQUIRE_BICEP=1 but ${message}`);
    console.warn(message);
  });

  it('explains every suppressed diagnostic on its line (#disable-next-line CODE // why)', () => {
    expect(unexplainedSuppressions(filesUnder(infra, '.bicep'), root)).toEqual([]);
  });

  it('the suppression check can fail: a directive without a reason is reported', () => {
    const directory = mkdtempSync(join(tmpdir(), 'bicep-suppress-'));
    const path = join(directory, 'x.bicep');
    writeFileSync(
      path,
      '#disable-next-line BCP329\nvar a = 1\n#disable-next-line BCP081 // the type is new and not in 0.49.2 yet\nvar b = 2\n',
    );
    expect(unexplainedSuppressions([path], directory)).toEqual(['x.bicep:1: #disable-next-line BCP329']);
    rmSync(directory, { recursive: true, force: true });
  });
});

(bicep.path ? describe : describe.skip)('infra/ compiled by the Bicep CLI', () => {
  const binary = bicep.path ?? '';
  const bicepFiles = filesUnder(infra, '.bicep').map((file) => relative(infra, file).split('\\').join('/'));
  const entryPoints = bicepEntryPoints(infra).map((file) => relative(infra, file).split('\\').join('/'));
  const compiled = mkdtempSync(join(tmpdir(), 'infra-compiled-'));
  let build: BicepRun;
  let lint: BicepRun;
  let planted: { run: BicepRun; line: number };

  beforeAll(async () => {
    const started = performance.now();
    // A copy of infra/ with one property misspelt, compiled alongside the real one: the proof that
    // this check fails on exactly the mistake Bicep itself lets through with exit code 0.
    const copy = mkdtempSync(join(tmpdir(), 'infra-misspelt-'));
    cpSync(infra, copy, { recursive: true });
    const rotatorPath = join(copy, 'app', 'rotator.bicep');
    const lines = readFileSync(rotatorPath, 'utf8').split('\n');
    const index = lines.findIndex((line) => /^\s*httpsOnly: true$/.test(line));
    if (index < 0) throw new Error('app/rotator.bicep no longer sets httpsOnly: true; plant the misspelling elsewhere');
    lines[index] = (lines[index] ?? '').replace('httpsOnly', 'httpsOnlly');
    writeFileSync(rotatorPath, lines.join('\n'));

    // Each Bicep process is a cold .NET start of about a second: one `--pattern` process builds every
    // file (entry points and, on their own, the modules), one lints them all, one builds the planted
    // copy; runBicep runs as many at once as there are CPUs.
    [build, lint, planted] = await Promise.all([
      runBicep(binary, ['build', '--pattern', '**/*.bicep', '--outdir', compiled], infra),
      runBicep(binary, ['lint', '--pattern', '**/*.bicep'], infra),
      runBicep(binary, ['build', 'main.bicep', '--stdout'], copy).then((run) => ({ run, line: index + 1 })),
    ]);
    rmSync(copy, { recursive: true, force: true });
    console.log(
      `Bicep ${pinnedBicepVersion()} (${binary}), 3 processes, ${availableParallelism()} at a time, ${Math.round(performance.now() - started)} ms wall: ` +
        `build of ${bicepFiles.length} files ${Math.round(build.elapsedMs)} ms, lint ${Math.round(lint.elapsedMs)} ms, planted misspelling ${Math.round(planted.run.elapsedMs)} ms`,
    );
  }, 180_000);

  afterAll(() => rmSync(compiled, { recursive: true, force: true }));

  const compiledTemplate = (file: string): unknown =>
    JSON.parse(readFileSync(join(compiled, file.replace(/\.bicep$/, '.json')), 'utf8')) as unknown;

  it('the deployable entry points are main.bicep (azd) and the three access templates (by hand)', () => {
    expect(entryPoints).toEqual([
      'access/dependents-access.bicep',
      'access/management-group-reader.bicep',
      'access/workflow-access.bicep',
      'main.bicep',
    ]);
  });

  it('management-group-reader.bicep assigns the built-in Reader at the management group it is deployed to', () => {
    const template = compiledTemplate('access/management-group-reader.bicep') as {
      $schema: string;
      resources:
        | Record<string, { type: string; properties: { roleDefinitionId: string } }>
        | Array<{ type: string; properties: { roleDefinitionId: string } }>;
    };
    expect(template.$schema).toMatch(/managementGroupDeploymentTemplate\.json#$/);
    const resources = Object.values(template.resources);
    expect(resources.map((resource) => resource.type)).toEqual(['Microsoft.Authorization/roleAssignments']);
    expect(resources[0]?.properties.roleDefinitionId).toBe("[variables('readerRoleDefinitionId')]");
    expect((template as unknown as { variables: Record<string, string> }).variables['readerRoleDefinitionId']).toBe(
      "[tenantResourceId('Microsoft.Authorization/roleDefinitions', 'acdd72a7-3385-48ef-bd42-f606fba81ae7')]",
    );
  });

  it('builds every .bicep file with zero errors and zero warnings', () => {
    expect(problemsOf(build)).toEqual([]);
    // `--pattern` that matches nothing also exits 0 silently: each file must have its template.
    for (const file of bicepFiles)
      expect({ file, schema: (compiledTemplate(file) as { $schema?: string }).$schema }).toEqual({
        file,
        schema: expect.stringMatching(/DeploymentTemplate\.json#$|deploymentTemplate\.json#$/),
      });
  });

  it('lints every .bicep file (default linter rules) with zero diagnostics', () => {
    expect(problemsOf(lint)).toEqual([]);
  });

  it('fails on a misspelt property, which Bicep itself reports only as a warning with exit code 0', () => {
    expect(planted.run.exitCode).toBe(0);
    expect(planted.run.diagnostics).toContainEqual(
      expect.objectContaining({ file: 'app/rotator.bicep', line: planted.line, level: 'Warning', code: 'BCP089' }),
    );
    expect(problemsOf(planted.run).join('\n')).toMatch(
      /app\/rotator\.bicep\(\d+,\d+\) : Warning BCP089: The property "httpsOnlly" is not allowed/,
    );
  });

  describe('the compiled main template and what azd feeds it', () => {
    interface TemplateParameter {
      readonly type: string;
      readonly defaultValue?: unknown;
      readonly allowedValues?: readonly unknown[];
      readonly minValue?: number;
      readonly maxValue?: number;
      readonly minLength?: number;
      readonly maxLength?: number;
    }
    const template = (): { parameters: Record<string, TemplateParameter> } =>
      compiledTemplate('main.bicep') as { parameters: Record<string, TemplateParameter> };
    const parameterFile = JSON.parse(readFileSync(join(infra, 'main.parameters.json'), 'utf8')) as {
      parameters: Record<string, { value: unknown }>;
    };
    const azureYaml = readFileSync(join(root, 'azure.yaml'), 'utf8');

    it("azd provisions infra/main.bicep with infra/main.parameters.json (azure.yaml keeps azd's defaults)", () => {
      // Without an `infra:` block azd uses infra/main.bicep and infra/main.parameters.json.
      const infraBlock = /^infra:\s*\n((?:[ \t]+.*\n?)*)/m.exec(azureYaml)?.[1] ?? '';
      expect(infraBlock.match(/^\s*path:\s*(\S+)/m)?.[1] ?? 'infra').toMatch(/^\.?\/?infra\/?$/);
      expect(infraBlock.match(/^\s*module:\s*(\S+)/m)?.[1] ?? 'main').toBe('main');
    });

    it('main.parameters.json names only parameters of the template, and every required one', () => {
      const declared = Object.keys(template().parameters);
      const given = Object.keys(parameterFile.parameters);
      expect(given.filter((name) => !declared.includes(name))).toEqual([]);
      const required = declared.filter((name) => template().parameters[name]?.defaultValue === undefined);
      expect(required.filter((name) => !given.includes(name))).toEqual([]);
    });

    it('each ${VAR=default} in main.parameters.json is a valid value of its parameter, as azd converts it', () => {
      const problems: string[] = [];
      for (const [name, { value }] of Object.entries(parameterFile.parameters)) {
        const parameter = template().parameters[name];
        const substitution = typeof value === 'string' ? /^\$\{(\w+)(?:=(.*))?\}$/s.exec(value) : null;
        if (!parameter || !substitution) {
          problems.push(`${name}: expected "\${ENV_VAR}" or "\${ENV_VAR=default}", got ${JSON.stringify(value)}`);
          continue;
        }
        const text = substitution[2];
        if (text === undefined) {
          // azd always sets AZURE_ENV_NAME and AZURE_LOCATION; any other variable without a default must be a string.
          if (parameter.type !== 'string') problems.push(`${name}: ${substitution[1]} has no default for a ${parameter.type} parameter`);
          continue;
        }
        let converted: unknown = text;
        if (parameter.type === 'int') converted = /^-?\d+$/.test(text) ? Number(text) : NaN;
        else if (parameter.type === 'bool') converted = text === 'true' ? true : text === 'false' ? false : undefined;
        else if (parameter.type === 'array' || parameter.type === 'object') {
          try {
            converted = JSON.parse(text) as unknown;
          } catch {
            converted = undefined;
          }
        }
        const valid =
          (parameter.type === 'int' && Number.isInteger(converted)) ||
          (parameter.type === 'bool' && typeof converted === 'boolean') ||
          (parameter.type === 'array' && Array.isArray(converted)) ||
          (parameter.type === 'object' && typeof converted === 'object' && converted !== null && !Array.isArray(converted)) ||
          ((parameter.type === 'string' || parameter.type === 'securestring') && typeof converted === 'string');
        if (!valid) problems.push(`${name}: default ${JSON.stringify(text)} is not a ${parameter.type}`);
        if (parameter.allowedValues && !parameter.allowedValues.includes(converted))
          problems.push(`${name}: ${JSON.stringify(converted)} is not one of ${JSON.stringify(parameter.allowedValues)}`);
        if (
          typeof converted === 'number' &&
          ((parameter.minValue !== undefined && converted < parameter.minValue) ||
            (parameter.maxValue !== undefined && converted > parameter.maxValue))
        ) {
          problems.push(`${name}: ${converted} is outside [${parameter.minValue}, ${parameter.maxValue}]`);
        }
        const length = typeof converted === 'string' || Array.isArray(converted) ? converted.length : undefined;
        // An empty string means "use the template's default name" for the optional names, so only a non-empty one must fit.
        if (
          length &&
          ((parameter.minLength !== undefined && length < parameter.minLength) ||
            (parameter.maxLength !== undefined && length > parameter.maxLength))
        ) {
          problems.push(`${name}: length ${length} is outside [${parameter.minLength}, ${parameter.maxLength}]`);
        }
      }
      expect(problems).toEqual([]);
    });

    it('each azure.yaml service has a function app tagged azd-service-name with its name', () => {
      const services = [...(/^services:\s*\n((?:[ \t]+.*\n?)*)/m.exec(azureYaml)?.[1] ?? '').matchAll(/^ {2}([\w-]+):\s*$/gm)].map(
        (match) => match[1],
      );
      expect(services).toEqual(['rotator']);
      const sites: Array<{ kind?: unknown; tags?: unknown }> = [];
      const visit = (value: unknown): void => {
        if (Array.isArray(value)) value.forEach(visit);
        else if (value && typeof value === 'object') {
          const node = value as { type?: unknown; kind?: unknown; tags?: unknown };
          if (node.type === 'Microsoft.Web/sites') sites.push(node);
          Object.values(value).forEach(visit);
        }
      };
      visit(template());
      for (const service of services) {
        const tagged = sites.filter((site) =>
          new RegExp(`'azd-service-name', '${service}'|"azd-service-name":"${service}"`).test(JSON.stringify(site.tags)),
        );
        expect({ service, kinds: tagged.map((site) => site.kind) }).toEqual({ service, kinds: [expect.stringContaining('functionapp')] });
      }
    });
  });
});
