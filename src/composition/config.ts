import { parseWorkflowResourceId, resourceGroupNamePattern, workflowDisplayName } from '../rotation/WorkflowResourceId';
import { dependentIdShapes, parseDependent, type Dependent } from '../rotation/Dependent';
import type { RotationTarget } from '../rotation/RotationTarget';
import type { WorkflowHost } from '../rotation/WorkflowHost';
import { scrubSecrets } from '../rotation/scrubSecrets';

/** Everything sas-rotator reads from app settings / the environment (docs/design.md §4.2), validated. */
export interface RotatorSettings {
  readonly schedule: string;
  /**
   * `inline`: the timer rotates every target itself. `fanout`: the timer queues one message per
   * target and a queue-triggered function rotates each. `auto`: fan out above `fanoutThreshold`.
   */
  readonly mode: RotationMode;
  /** Listed targets (`ROTATION_TARGETS` or `--targets FILE`). */
  readonly targets: readonly RotationTarget[];
  /** ARM scopes whose tagged workflows are targets too (`ROTATION_DISCOVERY`); empty: off. */
  readonly discoveryScopes: readonly DiscoveryScope[];
  readonly intervalDays: number;
  readonly concurrency: number;
  readonly keyVaultUri: string;
  readonly resourceManagerEndpoint: string;
  readonly flowApiEndpoint: string;
  /** Undefined: telemetry off. */
  readonly appInsightsConnectionString: string | undefined;
  /**
   * Entra ID ingestion (`APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD[;ClientId=…]`),
   * required when local authentication is disabled on the Application Insights resource.
   */
  readonly appInsightsEntraAuthentication: { readonly clientId: string | undefined } | undefined;
}

/** Every app setting sas-rotator reads (docs/design.md §4.2); infra/ and local.settings.sample.json set these. */
export const settingNames = [
  'ROTATION_SCHEDULE',
  'ROTATION_TARGETS',
  'ROTATION_DISCOVERY',
  'ROTATION_INTERVAL_DAYS',
  'ROTATION_CONCURRENCY',
  'ROTATION_MODE',
  'KEY_VAULT_URI',
  'AZURE_RESOURCE_MANAGER_ENDPOINT',
  'FLOW_API_ENDPOINT',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  'AZURE_CLIENT_ID',
  'AZURE_TOKEN_CREDENTIALS',
] as const;

export type RotationMode = 'inline' | 'fanout' | 'auto';

/**
 * Above this many targets `auto` fans out: one subscription rotates ~3 targets per second under
 * ARM's write throttle, so a 9-minute run finishes about 1,600 (docs/performance.md).
 */
export const fanoutThreshold = 1000;

/**
 * Where discovery looks for workflows tagged `sas-rotation: enabled` (docs/design.md §4.5): a subscription
 * or a resource group in one (listed through ARM), or a management group (queried through Azure Resource Graph).
 */
export type DiscoveryScope = ArmListingScope | ManagementGroupScope;

/** A subscription, or a resource group in one: listed with ARM's list operations. */
export interface ArmListingScope {
  readonly subscriptionId: string;
  readonly resourceGroupName: string | undefined;
  readonly managementGroupId?: undefined;
}

/** A management group (`/providers/Microsoft.Management/managementGroups/<id>`): one Resource Graph query over all its subscriptions. */
export interface ManagementGroupScope {
  readonly managementGroupId: string;
  readonly subscriptionId?: undefined;
  readonly resourceGroupName?: undefined;
}

export const settingDefaults = {
  ROTATION_SCHEDULE: '0 0 3 * * *',
  ROTATION_INTERVAL_DAYS: 30,
  ROTATION_CONCURRENCY: 8,
  AZURE_RESOURCE_MANAGER_ENDPOINT: 'https://management.azure.com',
  FLOW_API_ENDPOINT: 'https://api.flow.microsoft.com',
} as const;

export const limits = {
  intervalDays: { min: 1, max: 365 },
  concurrency: { min: 1, max: 64 },
  targets: 10_000,
  secretName: /^[0-9a-zA-Z-]{1,127}$/,
  trigger: /^[A-Za-z0-9_.-]{1,80}$/,
  /** Key Vault's limit on one tag value (service limits). */
  tagValueLength: 256,
} as const;

/** Bad settings or targets. Lists every problem at once; nothing has been sent to Azure. */
export class ConfigurationError extends Error {
  readonly problems: readonly string[];

  constructor(rawProblems: readonly string[]) {
    // A pasted callback URL in the wrong field must not travel on in the error text.
    const problems = rawProblems.map(scrubSecrets);
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigurationError';
    this.problems = problems;
  }
}

export interface LoadSettingsOptions {
  /** The targets as JSON text from `--targets FILE`, which replaces `ROTATION_TARGETS`. */
  readonly targetsJson?: { readonly text: string; readonly source: string };
}

/** App settings as the process sees them (process.env, or the CLI's `env`). */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Only the telemetry settings, for reporting a run that cannot start because the others are invalid:
 * undefined when telemetry is off or its own settings are invalid too.
 */
export function loadTelemetrySettings(
  env: Environment,
): Pick<RotatorSettings, 'appInsightsConnectionString' | 'appInsightsEntraAuthentication'> | undefined {
  const problems: string[] = [];
  const appInsightsConnectionString = readConnectionString(env, problems);
  const appInsightsEntraAuthentication = readAuthenticationString(env, problems);
  return problems.length === 0 && appInsightsConnectionString ? { appInsightsConnectionString, appInsightsEntraAuthentication } : undefined;
}

/** Reads and validates all settings; throws one ConfigurationError naming every problem. */
export function loadSettings(env: Environment, options: LoadSettingsOptions = {}): RotatorSettings {
  const problems: string[] = [];
  const intervalDays = readInteger(env, 'ROTATION_INTERVAL_DAYS', settingDefaults.ROTATION_INTERVAL_DAYS, limits.intervalDays, problems);
  const concurrency = readInteger(env, 'ROTATION_CONCURRENCY', settingDefaults.ROTATION_CONCURRENCY, limits.concurrency, problems);
  const schedule = readSchedule(env, problems);
  const keyVaultUri = readHttpsUrl(
    env,
    'KEY_VAULT_URI',
    undefined,
    problems,
    'set it to your vault, e.g. https://<vault-name>.vault.azure.net/',
  );
  const resourceManagerEndpoint = readHttpsUrl(
    env,
    'AZURE_RESOURCE_MANAGER_ENDPOINT',
    settingDefaults.AZURE_RESOURCE_MANAGER_ENDPOINT,
    problems,
    'use e.g. https://management.azure.com',
  );
  const flowApiEndpoint = readHttpsUrl(
    env,
    'FLOW_API_ENDPOINT',
    settingDefaults.FLOW_API_ENDPOINT,
    problems,
    'use e.g. https://api.flow.microsoft.com',
  );
  const appInsightsConnectionString = readConnectionString(env, problems);
  const appInsightsEntraAuthentication = readAuthenticationString(env, problems);

  const discoveryScopes = readDiscoveryScopes(env, problems);
  const modeText = env.ROTATION_MODE?.trim().toLowerCase() || 'inline';
  if (modeText !== 'inline' && modeText !== 'fanout' && modeText !== 'auto') {
    problems.push(`ROTATION_MODE is '${truncate(scrubSecrets(env.ROTATION_MODE ?? ''))}'. Fix: use inline (default), fanout or auto.`);
  }

  let targets: RotationTarget[] = [];
  const targetsSource = options.targetsJson?.source ?? 'ROTATION_TARGETS';
  const targetsText = options.targetsJson?.text ?? env.ROTATION_TARGETS;
  if (nonEmpty(targetsText) && !(discoveryScopes.length > 0 && /^\s*\[\s*\]\s*$/.test(targetsText))) {
    targets = parseTargets(targetsText, targetsSource, intervalDays ?? settingDefaults.ROTATION_INTERVAL_DAYS, problems);
  } else if (discoveryScopes.length === 0) {
    problems.push(
      'ROTATION_TARGETS is not set. Fix: set it to a JSON array such as [{"workflowId":"/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Logic/workflows/<name>"}], pass --targets FILE, or set ROTATION_DISCOVERY to scan for tagged workflows.',
    );
  }

  if (problems.length > 0) {
    throw new ConfigurationError(problems);
  }
  return {
    schedule,
    mode: modeText as RotationMode,
    targets,
    discoveryScopes,
    intervalDays: intervalDays as number,
    concurrency: concurrency as number,
    keyVaultUri: keyVaultUri as string,
    resourceManagerEndpoint: resourceManagerEndpoint as string,
    flowApiEndpoint: flowApiEndpoint as string,
    appInsightsConnectionString,
    appInsightsEntraAuthentication,
  };
}

const targetFields = ['workflowId', 'trigger', 'secretName', 'intervalDays', 'adopt', 'dependents'] as const;
/** Parses the targets JSON (docs/design.md §4.1), pushing one problem per bad field. */
export function parseTargets(text: string, source: string, defaultIntervalDays: number, problems: string[]): RotationTarget[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    problems.push(`${source} is not valid JSON (${scrubSecrets((error as Error).message)}). Fix: provide a JSON array of targets.`);
    return [];
  }
  if (!Array.isArray(parsed)) {
    problems.push(`${source} must be a JSON array of targets, not ${describeJsonType(parsed)}. Fix: wrap the target objects in [ ].`);
    return [];
  }
  if (parsed.length === 0) {
    problems.push(`${source} is an empty list. Fix: add at least one target.`);
    return [];
  }
  if (parsed.length > limits.targets) {
    problems.push(
      `${source} lists ${parsed.length} targets; at most ${limits.targets} are supported per app. Fix: split the estate across several apps.`,
    );
    return [];
  }

  const targets: RotationTarget[] = [];
  parsed.forEach((entry: unknown, index: number) => {
    const target = parseTarget(entry, `${source}[${index}]`, defaultIntervalDays, problems);
    if (target) {
      targets.push(target);
    }
  });

  const byWorkflow = new Map<string, number>();
  const bySecret = new Map<string, number>();
  const byDependent = new Map<string, { readonly index: number; readonly resourceId: string }>();
  targets.forEach((target, index) => {
    const workflowKey = target.workflowId.toLowerCase();
    const firstWithWorkflow = byWorkflow.get(workflowKey);
    if (firstWithWorkflow !== undefined) {
      problems.push(
        `${source}: workflow ${target.workflowId} is listed twice (targets #${firstWithWorkflow} and #${index}). A workflow's two keys are shared by all its triggers, so two targets would regenerate each other's published key. Fix: keep one target per workflow.`,
      );
    } else {
      byWorkflow.set(workflowKey, index);
    }
    const secretKey = target.secretName.toLowerCase();
    const firstWithSecret = bySecret.get(secretKey);
    if (firstWithSecret !== undefined) {
      problems.push(
        `${source}: targets #${firstWithSecret} and #${index} both publish to secret '${target.secretName}' (Key Vault secret names are case-insensitive). Fix: give one of them its own secretName.`,
      );
    } else {
      bySecret.set(secretKey, index);
    }
    // A named value or an event subscription holds one URL: two targets would take it from each other on
    // every run. (An action group is fine: each target updates only its own workflow's receivers.)
    for (const dependent of target.dependents ?? []) {
      if (dependent.kind === 'actionGroup') continue;
      const dependentKey = dependent.resourceId.toLowerCase();
      const first = byDependent.get(dependentKey);
      if (first !== undefined && first.index !== index) {
        problems.push(
          `${source}: targets #${first.index} and #${index} both list dependent ${first.resourceId}, which holds one URL: each would overwrite it with its own. Fix: list it on the one target whose workflow it calls.`,
        );
      } else {
        byDependent.set(dependentKey, { index, resourceId: dependent.resourceId });
      }
    }
  });
  return targets;
}

export function parseTarget(entry: unknown, where: string, defaultIntervalDays: number, problems: string[]): RotationTarget | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    problems.push(`${where} must be an object with a workflowId, not ${describeJsonType(entry)}.`);
    return undefined;
  }
  const fields = entry as Record<string, unknown>;
  const workflowIdValue = fields.workflowId;
  const label = typeof workflowIdValue === 'string' ? `${where} (${truncate(scrubSecrets(workflowIdValue))})` : where;
  const before = problems.length;

  for (const name of Object.keys(fields)) {
    if (!(targetFields as readonly string[]).includes(name)) {
      const suggestion = targetFields.find(
        (known) =>
          known.toLowerCase() === name.toLowerCase().replace(/[^a-z]/g, '') ||
          known.toLowerCase().startsWith(name.toLowerCase().slice(0, 5)),
      );
      problems.push(
        `${label}: unknown field '${truncate(scrubSecrets(name))}'.${suggestion ? ` Did you mean '${suggestion}'?` : ''} Known fields: ${targetFields.join(', ')}.`,
      );
    }
  }

  let workflowId = '';
  let workflowName = '';
  let host: WorkflowHost = 'consumption';
  if (typeof workflowIdValue !== 'string' || workflowIdValue.trim() === '') {
    problems.push(
      `${label}: workflowId is missing. Fix: set it to the workflow's resource ID, /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Logic/workflows/<name>.`,
    );
  } else {
    workflowId = workflowIdValue.trim().replace(/\/+$/, '');
    const id = parseWorkflowResourceId(workflowId);
    if (id && workflowId.length > limits.tagValueLength) {
      problems.push(
        `${label}: workflowId is ${workflowId.length} characters, but it is stored in the secret's workflowId tag and Key Vault tag values hold at most ${limits.tagValueLength}. Fix: shorten the resource group or workflow name.`,
      );
    } else if (id) {
      workflowName = workflowDisplayName(id);
      host = id.host;
    } else {
      problems.push(`${label}: workflowId ${describeWorkflowIdProblem(workflowId)}`);
    }
  }

  const trigger = fields.trigger === undefined ? 'manual' : fields.trigger;
  if (typeof trigger !== 'string' || !limits.trigger.test(trigger)) {
    problems.push(
      `${label}: trigger ${describeValue(trigger)} is not a trigger name. Fix: use the Request trigger's name (letters, digits, '_', '-', '.'), e.g. "manual".`,
    );
  }

  let secretName: unknown = fields.secretName;
  if (secretName === undefined) {
    secretName = defaultSecretName(workflowName, typeof trigger === 'string' ? trigger : 'manual');
  } else if (typeof secretName !== 'string' || !limits.secretName.test(secretName)) {
    problems.push(
      `${label}: secretName ${describeValue(secretName)} is not a valid Key Vault secret name. Fix: use 1-127 letters, digits and '-'.`,
    );
  }

  let intervalDays: unknown = fields.intervalDays;
  if (intervalDays === undefined) {
    intervalDays = defaultIntervalDays;
  } else if (
    !Number.isInteger(intervalDays) ||
    (intervalDays as number) < limits.intervalDays.min ||
    (intervalDays as number) > limits.intervalDays.max
  ) {
    problems.push(
      `${label}: intervalDays ${describeValue(intervalDays)} is out of range. Fix: use a whole number of days from ${limits.intervalDays.min} to ${limits.intervalDays.max}.`,
    );
  }

  const adopt = fields.adopt === undefined ? false : fields.adopt;
  if (typeof adopt !== 'boolean') {
    problems.push(`${label}: adopt ${describeValue(adopt)} must be true or false.`);
  }

  const dependents = parseDependents(fields.dependents, label, problems);

  if (problems.length > before) {
    return undefined;
  }
  return {
    workflowId,
    host,
    trigger: trigger as string,
    secretName: secretName as string,
    intervalDays: intervalDays as number,
    adopt: adopt as boolean,
    ...(dependents && dependents.length > 0 ? { dependents } : {}),
  };
}

/** The most dependents one target may list: each is read on every run and updated after each rotation. */
export const maxDependentsPerTarget = 50;

/** `dependents`: resource IDs of the callers that keep their own copy of the URL (docs/design.md §12). */
function parseDependents(value: unknown, label: string, problems: string[]): Dependent[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    problems.push(`${label}: dependents must be an array of resource IDs, not ${describeJsonType(value)}.`);
    return undefined;
  }
  if (value.length > maxDependentsPerTarget) {
    problems.push(`${label}: dependents lists ${value.length} resource IDs; at most ${maxDependentsPerTarget} are allowed per target.`);
    return undefined;
  }
  const dependents: Dependent[] = [];
  const seen = new Set<string>();
  value.forEach((entry, index) => {
    const resourceId = typeof entry === 'string' ? entry.trim().replace(/\/+$/, '') : undefined;
    const dependent = resourceId === undefined ? undefined : parseDependent(resourceId);
    if (!dependent) {
      problems.push(
        `${label}: dependents[${index}] ${typeof entry === 'string' ? `'${truncate(scrubSecrets(entry))}'` : describeValue(entry)} is not the resource ID of a supported dependent. Fix: use ${dependentIdShapes}.`,
      );
      return;
    }
    if (seen.has(dependent.resourceId.toLowerCase())) {
      problems.push(`${label}: dependents[${index}] '${truncate(dependent.resourceId)}' is listed twice. Fix: list each dependent once.`);
      return;
    }
    seen.add(dependent.resourceId.toLowerCase());
    dependents.push(dependent);
  });
  return dependents;
}

/** `<workflow>-<trigger>-url`, lowercased, anything outside [0-9a-z-] as '-', at most 127 chars (docs/design.md §5). */
export function defaultSecretName(workflowName: string, trigger: string): string {
  return `${workflowName}-${trigger}-url`
    .toLowerCase()
    .replace(/[^0-9a-z-]/g, '-')
    .slice(0, 127);
}

function describeWorkflowIdProblem(workflowId: string): string {
  const shown = `'${truncate(scrubSecrets(workflowId))}'`;
  if (/^\/providers\/Microsoft\.ProcessSimple\//i.test(workflowId)) {
    return `${shown} is not a Power Automate flow ID. Fix: use /providers/Microsoft.ProcessSimple/environments/<environment>/flows/<flow ID>.`;
  }
  if (!/^\/subscriptions\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\//i.test(workflowId)) {
    return `${shown} does not start with /subscriptions/<subscription GUID>/. Fix: copy the resource ID from the workflow's Properties page in the portal.`;
  }
  if (/\/providers\/Microsoft\.Web\//i.test(workflowId)) {
    return `${shown} is not a Logic Apps Standard workflow ID. Fix: use /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Web/sites/<logic app>/workflows/<workflow>.`;
  }
  return `${shown} is not a Logic Apps workflow resource ID. Fix: use /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Logic/workflows/<name> (Consumption), …/providers/Microsoft.Web/sites/<app>/workflows/<name> (Standard) or /providers/Microsoft.ProcessSimple/environments/<env>/flows/<flow> (Power Automate).`;
}

const discoveryScopePattern = new RegExp(
  `^/subscriptions/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?:/resourceGroups/(${resourceGroupNamePattern}))?/?$`,
  'iu',
);

/**
 * A management group's ID (its name in the resource ID): up to 90 letters, digits, `-`, `_`, `(`, `)` and `.`,
 * not ending with a period (Learn, "Organize your resources with management groups").
 */
const managementGroupScopePattern = /^\/providers\/Microsoft\.Management\/managementGroups\/([A-Za-z0-9\-_().]{0,89}[A-Za-z0-9\-_()])\/?$/i;

function readDiscoveryScopes(env: Environment, problems: string[]): DiscoveryScope[] {
  const text = env.ROTATION_DISCOVERY;
  if (!nonEmpty(text)) {
    return [];
  }
  const scopes: DiscoveryScope[] = [];
  // A scope named twice (letter case, a trailing slash) would be queried and its problems reported twice.
  const named = new Set<string>();
  const add = (scope: DiscoveryScope) => {
    const key = scopeKey(scope);
    if (named.has(key)) return;
    named.add(key);
    scopes.push(scope);
  };
  for (const raw of text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const managementGroup = managementGroupScopePattern.exec(raw);
    if (managementGroup) {
      add({ managementGroupId: managementGroup[1] as string });
      continue;
    }
    const match = discoveryScopePattern.exec(raw);
    if (!match) {
      problems.push(
        `ROTATION_DISCOVERY: '${truncate(scrubSecrets(raw))}' is not a scope. Fix: use /subscriptions/<subscription GUID>, /subscriptions/<subscription GUID>/resourceGroups/<name> or /providers/Microsoft.Management/managementGroups/<id>, separated by commas.`,
      );
      continue;
    }
    add({ subscriptionId: match[1] as string, resourceGroupName: match[2] });
  }
  return scopes;
}

function scopeKey(scope: DiscoveryScope): string {
  return scope.managementGroupId !== undefined
    ? `mg:${scope.managementGroupId.toLowerCase()}`
    : `sub:${scope.subscriptionId.toLowerCase()}/${(scope.resourceGroupName ?? '').toLowerCase()}`;
}

function readInteger(
  env: Environment,
  name: string,
  fallback: number,
  range: { min: number; max: number },
  problems: string[],
): number | undefined {
  const text = env[name];
  if (!nonEmpty(text)) {
    return fallback;
  }
  const value = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || value < range.min || value > range.max) {
    problems.push(
      `${name} is '${truncate(scrubSecrets(text))}'. Fix: use a whole number from ${range.min} to ${range.max} (default ${fallback}).`,
    );
    return undefined;
  }
  return value;
}

function readSchedule(env: Environment, problems: string[]): string {
  const schedule = nonEmpty(env.ROTATION_SCHEDULE) ? env.ROTATION_SCHEDULE.trim() : settingDefaults.ROTATION_SCHEDULE;
  if (schedule.split(/\s+/).length !== 6) {
    problems.push(
      `ROTATION_SCHEDULE is '${truncate(scrubSecrets(schedule))}'. Fix: use a six-field NCRONTAB expression ({second} {minute} {hour} {day} {month} {day-of-week}), e.g. '0 0 3 * * *'.`,
    );
  }
  return schedule;
}

function readHttpsUrl(env: Environment, name: string, fallback: string | undefined, problems: string[], hint: string): string | undefined {
  const text = nonEmpty(env[name]) ? (env[name] as string).trim() : fallback;
  if (text === undefined) {
    problems.push(`${name} is not set. Fix: ${hint}.`);
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    problems.push(`${name} is '${truncate(scrubSecrets(text))}', which is not a URL. Fix: ${hint}.`);
    return undefined;
  }
  if (url.protocol !== 'https:') {
    problems.push(`${name} must use https (Azure refuses bearer tokens over plain http). Fix: ${hint}.`);
    return undefined;
  }
  return text.replace(/\/+$/, '');
}

function readConnectionString(env: Environment, problems: string[]): string | undefined {
  const text = env.APPLICATIONINSIGHTS_CONNECTION_STRING;
  if (!nonEmpty(text)) {
    return undefined;
  }
  if (!/(^|;)\s*InstrumentationKey=[^;]+/i.test(text)) {
    problems.push(
      'APPLICATIONINSIGHTS_CONNECTION_STRING has no InstrumentationKey. Fix: copy the connection string from the Application Insights resource, or unset it to turn telemetry off.',
    );
    return undefined;
  }
  return text.trim();
}

function readAuthenticationString(env: Environment, problems: string[]): { clientId: string | undefined } | undefined {
  const text = env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING;
  if (!nonEmpty(text)) {
    return undefined;
  }
  const match = /^\s*Authorization=AAD\s*(?:;\s*ClientId=([0-9a-fA-F-]{36})\s*)?;?\s*$/i.exec(text);
  if (!match) {
    problems.push(
      "APPLICATIONINSIGHTS_AUTHENTICATION_STRING must be 'Authorization=AAD' or 'Authorization=AAD;ClientId=<managed identity client ID>'. Fix: correct it, or unset it when local authentication is enabled.",
    );
    return undefined;
  }
  return { clientId: match[1] };
}

function nonEmpty(text: string | undefined): text is string {
  return text !== undefined && text.trim() !== '';
}

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${truncate(scrubSecrets(value))}'`;
  if (value === null) return 'null';
  if (typeof value === 'object') return describeJsonType(value);
  return String(value);
}

function truncate(text: string): string {
  return text.length > 140 ? `${text.slice(0, 140)}…` : text;
}
