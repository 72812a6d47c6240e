import { randomBytes, randomUUID } from 'crypto';
import { AccessTokenAuthority } from './AccessTokenAuthority';
import { ApiManagementState } from './apiManagement/ApiManagementState';
import { MicrosoftApiManagementProvider } from './apiManagement/MicrosoftApiManagementProvider';
import { AppInsightsIngestionService } from './appInsights/AppInsightsIngestionService';
import type { TelemetryEnvelope } from './appInsights/TelemetryEnvelope';
import { defaultArmReadThrottle, defaultArmWriteThrottle, defaultKeyVaultThrottle, type EmulatorOptions } from './EmulatorOptions';
import type { EmulatorRequestRecord } from './EmulatorRequestRecord';
import type { RecordedExchange } from './RecordedExchange';
import type { EmulatorServiceHandler } from './EmulatorExchange';
import type { EmulatorService } from './EmulatorService';
import { EventSubscriptionsState } from './eventGrid/EventSubscriptionsState';
import { MicrosoftEventGridProvider } from './eventGrid/MicrosoftEventGridProvider';
import { FaultInjector } from './FaultInjector';
import { FlowApiService } from './flow/FlowApiService';
import type { FlowsState } from './flow/FlowsState';
import { ManagedIdentityEndpoint, type ManagedIdentity } from './identity/ManagedIdentityEndpoint';
import { KeyVaultState } from './keyVault/KeyVaultState';
import { KeyVaultService } from './keyVault/KeyVaultService';
import { ensureLocalCertificateAuthority } from './localCertificateAuthority';
import { ArmFrontDoor } from './logic/ArmFrontDoor';
import { ArmPages } from './logic/armPaging';
import { ArmRouter } from './logic/ArmRouter';
import { LogicRuntimeService } from './logic/LogicRuntimeService';
import { MicrosoftLogicProvider } from './logic/MicrosoftLogicProvider';
import { MicrosoftWebProvider } from './logic/MicrosoftWebProvider';
import { issueLoopbackServerCertificate } from './loopbackServerCertificate';
import { ActionGroupsState } from './monitor/ActionGroupsState';
import { MicrosoftInsightsProvider } from './monitor/MicrosoftInsightsProvider';
import { MicrosoftResourceGraphProvider } from './resourceGraph/MicrosoftResourceGraphProvider';
import { ResourceGraphState } from './resourceGraph/ResourceGraphState';
import { ServiceServer } from './ServiceServer';
import { WorkflowHosts } from './workflowHosts';

export type { EmulatorOptions, KeyVaultThrottleSettings, ThrottleSettings } from './EmulatorOptions';
export type { EmulatorService } from './EmulatorService';
export type { EmulatorRequestRecord } from './EmulatorRequestRecord';
export type { RecordedExchange } from './RecordedExchange';
export { FaultInjector, type FaultRule } from './FaultInjector';
export { WorkflowHosts } from './workflowHosts';
export { ConsumptionWorkflowsState, type AddWorkflowOptions, type StoredWorkflow } from './logic/ConsumptionWorkflowsState';
export type { WorkflowTrigger, WorkflowTriggerKind, WorkflowState } from './logic/WorkflowTrigger';
export type { WorkflowKeyType } from './logic/WorkflowKeyType';
export {
  StandardWorkflowsState,
  type AddSiteOptions,
  type AddStandardWorkflowOptions,
  type StandardWorkflowKind,
  type StoredSite,
  type StoredStandardWorkflow,
} from './logic/StandardWorkflowsState';
export {
  FlowsState,
  type AddFlowOptions,
  type FlowCallbackUrl,
  type FlowTriggerAuthentication,
  type FlowUrlStyle,
  type StoredFlow,
} from './flow/FlowsState';
export type { CallbackUrlCheck, InvocationTarget, WorkflowHost } from './logic/callbackUrls';
export { KeyVaultState, type StoredSecretVersion } from './keyVault/KeyVaultState';
export { ResourceGraphState, defaultResourceGraphQuota, type ResourceGraphQuotaSettings } from './resourceGraph/ResourceGraphState';
export { ActionGroupsState, type LogicAppReceiver, type SeedActionGroupOptions, type StoredActionGroup } from './monitor/ActionGroupsState';
export {
  EventSubscriptionsState,
  type EventSubscriptionUpdateBehaviour,
  type SeedEventSubscriptionOptions,
  type StoredEventSubscription,
} from './eventGrid/EventSubscriptionsState';
export type { TelemetryEnvelope } from './appInsights/TelemetryEnvelope';
export type { ManagedIdentity } from './identity/ManagedIdentityEndpoint';
export { ensureLocalCertificateAuthority } from './localCertificateAuthority';
export {
  ApiManagementState,
  type CalledWorkflow,
  type LongRunningFault,
  type SeedNamedValueOptions,
  type StoredNamedValue,
  type WriteCompletion,
} from './apiManagement/ApiManagementState';

/** A fixed tenant, so that logs and snapshots from different runs compare. */
export const defaultEmulatorTenantId = '72f988bf-0000-4000-8000-00000000e7a1';

export interface AzureEmulator {
  /** `https://127.0.0.1:PORT` (no trailing slash, like `https://management.azure.com`). */
  readonly armEndpoint: string;
  /** `https://127.0.0.1:PORT/`. */
  readonly keyVaultUri: string;
  /** `InstrumentationKey=<guid>;IngestionEndpoint=https://127.0.0.1:PORT/;LiveEndpoint=https://127.0.0.1:PORT/`. */
  readonly appInsightsConnectionString: string;
  /** `http://127.0.0.1:PORT/msi/token`: plain HTTP, exactly like App Service's IDENTITY_ENDPOINT. */
  readonly identityEndpoint: string;
  readonly identityHeader: string;
  /** Where callback URLs point: `https://127.0.0.1:PORT`. */
  readonly logicRuntimeEndpoint: string;
  /** The Power Automate Flow API, like `https://api.flow.microsoft.com`: `https://127.0.0.1:PORT` (no trailing slash). */
  readonly flowApiEndpoint: string;
  readonly caCertificatePath: string;
  readonly tenantId: string;
  /** The system-assigned identity the managed-identity endpoint issues tokens for. */
  readonly managedIdentity: ManagedIdentity;
  /**
   * The environment a sas-rotator process needs to talk to this emulator. NODE_EXTRA_CA_CERTS only takes
   * effect in a process started with it.
   */
  environment(): Record<string, string>;
  /**
   * Every workflow host behind one front: seeds Consumption and Logic Apps Standard workflows, and its generic
   * methods (`regenerateAccessKey`, `keyVersionOf`, `currentCallbackUrl`, `isCallbackUrlValid`) answer for
   * every host, flows included.
   */
  readonly logic: WorkflowHosts;
  /** Power Automate flows behind the Flow API (one key each). */
  readonly flows: FlowsState;
  readonly keyVault: KeyVaultState;
  /**
   * API Management named values (dependents, docs/design.md §12): `seedNamedValue`, `valueOf`, the oracle
   * `urlWorks`, and `longRunning` (how writes complete; reset it after a test that changed it).
   */
  readonly apiManagement: ApiManagementState;
  /** Azure Monitor action groups (Microsoft.Insights 2021-09-01): seeding, and the oracle `urlWorks`. */
  readonly monitor: ActionGroupsState;
  /** Event Grid event subscriptions (2022-06-15): seeding, how long-running updates end, and the oracle `urlWorks`. */
  readonly eventGrid: EventSubscriptionsState;
  /**
   * Azure Resource Graph (docs/design.md §4.5): `addManagementGroup` seeds which subscriptions a management group
   * holds; `quota` is each user's query quota (default 15 per 5 s), `resetQuotas` starts every window afresh.
   */
  readonly resourceGraph: ResourceGraphState;
  readonly appInsights: { readonly envelopes: readonly TelemetryEnvelope[]; clear(): void };
  /** Every request received, oldest first. */
  readonly requests: readonly EmulatorRequestRecord[];
  /** Every exchange whole, oldest first, when started with `recordExchanges` (else empty). Holds secrets: never print it. */
  readonly exchanges: readonly RecordedExchange[];
  readonly faults: FaultInjector;
  /**
   * Calls `listener` after every request has been processed and answered (state already changed):
   * where tests check invariants such as "the published URL works". Returns the unsubscribe.
   */
  onRequest(listener: (record: EmulatorRequestRecord) => void): () => void;
  /** A token as the managed-identity endpoint would issue it; `expiresInSeconds` < 0 gives an expired one. */
  issueAccessToken(resource: string, options?: { expiresInSeconds?: number }): string;
  /** Every `sig` and bearer token the emulator ever handed out: what must never appear in output. */
  issuedSecrets(): { readonly sigs: readonly string[]; readonly tokens: readonly string[] };
  /** Closes every server and open connection. */
  stop(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<AzureEmulator> {
  const tenantId = options.tenantId ?? defaultEmulatorTenantId;
  const ca = await ensureLocalCertificateAuthority();
  const tls = await issueLoopbackServerCertificate(ca);
  const authority = new AccessTokenAuthority(tenantId);
  const faults = new FaultInjector();
  const requests: EmulatorRequestRecord[] = [];
  const exchanges: RecordedExchange[] = [];
  const requestListeners = new Set<(record: EmulatorRequestRecord) => void>();
  const managedIdentity: ManagedIdentity = { clientId: randomUUID(), objectId: randomUUID() };
  const identityHeader = randomBytes(24).toString('base64url');
  const instrumentationKey = randomUUID();
  const servers = new Map<EmulatorService, ServiceServer>();
  const baseUrl = (service: EmulatorService): string => servers.get(service)?.baseUrl ?? '';

  const hosts = new WorkflowHosts(() => baseUrl('logicRuntime'));
  const keyVault = new KeyVaultState();
  const apiManagement = new ApiManagementState(hosts, keyVault, hosts.resourceGroups);
  const appInsights = new AppInsightsIngestionService(instrumentationKey, authority, options.appInsightsLocalAuthDisabled ?? false);
  const frontDoor = new ArmFrontDoor(
    authority,
    () => baseUrl('arm'),
    options.armWriteThrottle ?? defaultArmWriteThrottle,
    options.armReadThrottle ?? defaultArmReadThrottle,
  );
  const armPages = new ArmPages(() => baseUrl('arm'), hosts.pagingFaults);
  const monitor = new ActionGroupsState(hosts, hosts.resourceGroups);
  const eventGrid = new EventSubscriptionsState(hosts, hosts.resourceGroups);
  const resourceGraph = new ResourceGraphState(options.resourceGraphQuota);
  const handlers: EmulatorServiceHandler[] = [
    new ManagedIdentityEndpoint(authority, identityHeader, managedIdentity),
    new ArmRouter(frontDoor, hosts.resourceGroups, new MicrosoftLogicProvider(hosts.consumption, armPages), [
      // First: an event subscription is an extension resource, its path may name another provider's resource as its scope.
      new MicrosoftEventGridProvider(eventGrid, () => baseUrl('arm')),
      new MicrosoftWebProvider(hosts.standard, armPages),
      new MicrosoftApiManagementProvider(apiManagement, () => baseUrl('arm')),
      new MicrosoftInsightsProvider(monitor),
      new MicrosoftResourceGraphProvider(resourceGraph, hosts.consumption, hosts.standard),
    ]),
    new LogicRuntimeService(hosts, authority),
    new FlowApiService(hosts.flows, authority),
    new KeyVaultService(keyVault, authority, () => `${baseUrl('keyVault')}/`, options.keyVaultThrottle ?? defaultKeyVaultThrottle),
    appInsights,
  ];

  try {
    for (const handler of handlers) {
      servers.set(
        handler.service,
        await ServiceServer.listen({
          handler,
          // Only the managed-identity endpoint is plain HTTP, as App Service's is; ARM refuses bearer tokens over HTTP.
          ...(handler.service === 'identity' ? {} : { tls }),
          port: options.ports?.[handler.service] ?? 0,
          latencyMs: options.latencyMs?.[handler.service] ?? 0,
          faults,
          record: (record) => {
            requests.push(record);
            for (const listener of [...requestListeners]) listener(record);
          },
          ...(options.recordExchanges ? { recordExchange: (exchange: RecordedExchange) => exchanges.push(exchange) } : {}),
        }),
      );
    }
  } catch (error) {
    await Promise.all([...servers.values()].map((server) => server.close()));
    throw error;
  }

  const keyVaultUri = `${baseUrl('keyVault')}/`;
  const appInsightsConnectionString = `InstrumentationKey=${instrumentationKey};IngestionEndpoint=${baseUrl('appInsights')}/;LiveEndpoint=${baseUrl('appInsights')}/`;
  const identityEndpoint = `${baseUrl('identity')}/msi/token`;
  let stopped: Promise<void> | undefined;

  return {
    armEndpoint: baseUrl('arm'),
    keyVaultUri,
    appInsightsConnectionString,
    identityEndpoint,
    identityHeader,
    logicRuntimeEndpoint: baseUrl('logicRuntime'),
    flowApiEndpoint: baseUrl('flow'),
    caCertificatePath: ca.certPath,
    tenantId,
    managedIdentity,
    environment: () => ({
      AZURE_RESOURCE_MANAGER_ENDPOINT: baseUrl('arm'),
      KEY_VAULT_URI: keyVaultUri,
      FLOW_API_ENDPOINT: baseUrl('flow'),
      APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString,
      IDENTITY_ENDPOINT: identityEndpoint,
      IDENTITY_HEADER: identityHeader,
      AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential',
      NODE_EXTRA_CA_CERTS: ca.certPath,
      // Nothing that switches the telemetry SDK's statsbeat off: tests and the demo must see what users see.
    }),
    logic: hosts,
    flows: hosts.flows,
    keyVault,
    apiManagement,
    monitor,
    eventGrid,
    resourceGraph,
    appInsights: {
      get envelopes() {
        return appInsights.envelopes;
      },
      clear: () => appInsights.clear(),
    },
    requests,
    exchanges,
    faults,
    issueAccessToken: (resource, tokenOptions = {}) =>
      authority.issue({ resource, clientId: managedIdentity.clientId, objectId: managedIdentity.objectId, ...tokenOptions }).token,
    onRequest: (listener) => {
      requestListeners.add(listener);
      return () => requestListeners.delete(listener);
    },
    issuedSecrets: () => ({ sigs: [...hosts.issuedSigs], tokens: [...authority.issuedTokens] }),
    stop: () => {
      stopped ??= Promise.all([...servers.values()].map((server) => server.close())).then(() => undefined);
      return stopped;
    },
  };
}
