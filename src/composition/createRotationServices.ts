import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { defaultRetrySettings, type RetrySettings } from '../azure/core/azureRetryPolicy';
import type { RotatorSettings } from './config';
import { ArmTargetDiscovery, defaultDiscoveryLimits, type DiscoveryLimits } from '../azure/logicApps/ArmTargetDiscovery';
import { BudgetedWorkflowGateway } from '../rotation/BudgetedWorkflowGateway';
import { armWriteBudget, SubscriptionWriteBudget, type WriteBudgetSettings } from '../rotation/SubscriptionWriteBudget';
import { writeBudgetObserverPolicy } from '../azure/core/writeBudgetObserverPolicy';
import type { ArmConnection } from '../azure/core/armClients';
import { createTargetLeases } from '../azure/storage/createTargetLeases';
import { createTargetQueue, type TargetQueue } from '../azure/storage/TargetQueue';
import { ConsumptionWorkflowGateway } from '../azure/logicApps/ConsumptionWorkflowGateway';
import { KindRoutingDependentGateway } from '../rotation/KindRoutingDependentGateway';
import { noTelemetry } from '../rotation/noTelemetry';
import { HostRoutingWorkflowGateway } from '../rotation/HostRoutingWorkflowGateway';
import { PowerAutomateFlowGateway } from '../azure/powerAutomate/PowerAutomateFlowGateway';
import type { RotationTelemetry } from '../rotation/ports';
import type { RotationDependencies } from '../rotation/rotateTarget';
import { KeyVaultCallbackUrlStore } from '../azure/keyVault/KeyVaultCallbackUrlStore';
import { vaultSecretBudgetPolicy } from '../azure/keyVault/vaultSecretBudgetPolicy';
import { keyVaultSecretLimits, VaultSecretBudget, type VaultSecretLimits } from '../rotation/VaultSecretBudget';

export interface RotationServices extends RotationDependencies {
  readonly telemetry: RotationTelemetry;
  /**
   * Flushes telemetry and releases its exporters, waiting a bounded time (`telemetryCloseTimeoutInMs`);
   * for short-lived processes such as the CLI. Resolves to warnings to show the operator (no secrets).
   */
  close(): Promise<readonly string[]>;
  /** Set when no shared storage is configured, so runs cannot exclude each other: say so. */
  readonly singleWriterWarning: string | undefined;
  /** Finds tagged workflows in the ROTATION_DISCOVERY scopes. */
  readonly discovery: ArmTargetDiscovery;
  /** The fan-out queue (ROTATION_MODE fanout/auto); undefined without storage settings. */
  readonly targetQueue: TargetQueue | undefined;
}

/**
 * The composition root: one credential per process. DefaultAzureCredential honours
 * AZURE_TOKEN_CREDENTIALS (e.g. `ManagedIdentityCredential` in Azure, `dev` on a laptop) and
 * AZURE_CLIENT_ID (a user-assigned identity), as users of the Azure SDK expect.
 */
export interface RotationServicesOptions {
  /** ARM's write bucket as the runner models it; benchmarks against a time-scaled emulator change it. */
  readonly writeBudget?: WriteBudgetSettings;
  /** Key Vault's secret limits per vault as the store models them; benchmarks against a time-scaled emulator change them. */
  readonly vaultSecretLimits?: VaultSecretLimits;
  /** The app's one retry policy; tests shorten its waits, production keeps the defaults. */
  readonly retry?: RetrySettings;
  /** Discovery's page cap and time budget; tests shorten them, production keeps the defaults. */
  readonly discovery?: Partial<DiscoveryLimits>;
  /** Where the Functions host's storage settings (`AzureWebJobsStorage…`) are read; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export function createRotationServices(settings: RotatorSettings, options: RotationServicesOptions = {}): RotationServices {
  const retry = options.retry ?? defaultRetrySettings;
  const writeBudget = new SubscriptionWriteBudget(options.writeBudget ?? armWriteBudget);
  // Key Vault's secret transactions per vault: publications wait for a token instead of bouncing off 429s.
  const vaultSecretBudget = new VaultSecretBudget(options.vaultSecretLimits ?? keyVaultSecretLimits);
  const credential = new DefaultAzureCredential();
  // Every ARM adapter's SDK clients: the app's retry policy, and the write-budget observer on each attempt.
  const arm: ArmConnection = {
    credential,
    resourceManagerEndpoint: settings.resourceManagerEndpoint,
    retry,
    perRetryPolicies: [writeBudgetObserverPolicy(writeBudget)],
  };
  // Throws ConfigurationError for malformed storage settings, before any client is used.
  const leases = createTargetLeases(options.env ?? process.env, credential, { retry });
  // Entra ingestion: the identity named in the authentication string, as the App Insights agent
  // does, or else the app's own credential.
  const entra = settings.appInsightsEntraAuthentication;
  const telemetryCredential = entra?.clientId
    ? new ManagedIdentityCredential({ clientId: entra.clientId })
    : entra
      ? credential
      : undefined;
  const appInsights = settings.appInsightsConnectionString
    ? new (loadAppInsightsRotationTelemetry())(settings.appInsightsConnectionString, retry, telemetryCredential)
    : undefined;
  return {
    gateway: new BudgetedWorkflowGateway(
      new HostRoutingWorkflowGateway((host) => {
        switch (host) {
          case 'consumption':
            return new ConsumptionWorkflowGateway(arm);
          case 'standard': {
            // Loaded on demand: @azure/arm-appservice is large and most estates are Consumption only.
            const { StandardWorkflowGateway } =
              // eslint-disable-next-line @typescript-eslint/no-require-imports
              require('../azure/logicApps/StandardWorkflowGateway') as typeof import('../azure/logicApps/StandardWorkflowGateway');
            return new StandardWorkflowGateway(arm);
          }
          case 'powerAutomate':
            return new PowerAutomateFlowGateway(credential, settings.flowApiEndpoint, retry);
        }
      }),
      writeBudget,
    ),
    store: new KeyVaultCallbackUrlStore(credential, settings.keyVaultUri, retry, [vaultSecretBudgetPolicy(vaultSecretBudget, retry)]),
    telemetry: appInsights ?? noTelemetry,
    dependents: new KindRoutingDependentGateway((kind) => {
      // Each kind's SDK is loaded only when a target lists such a dependent (cold start, package size).
      switch (kind) {
        case 'apimNamedValue': {
          const { ApimNamedValueDependents } =
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            require('../azure/apiManagement/ApimNamedValueDependents') as typeof import('../azure/apiManagement/ApimNamedValueDependents');
          return new ApimNamedValueDependents(arm);
        }
        case 'actionGroup': {
          const { ActionGroupDependents } =
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            require('../azure/monitor/ActionGroupDependents') as typeof import('../azure/monitor/ActionGroupDependents');
          return new ActionGroupDependents(arm);
        }
        case 'eventSubscription': {
          const { EventSubscriptionDependents } =
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            require('../azure/eventGrid/EventSubscriptionDependents') as typeof import('../azure/eventGrid/EventSubscriptionDependents');
          return new EventSubscriptionDependents(arm);
        }
      }
    }),
    leases,
    targetQueue: createTargetQueue(options.env ?? process.env, credential, retry),
    discovery: new ArmTargetDiscovery(credential, settings.resourceManagerEndpoint, settings.intervalDays, retry, {
      ...defaultDiscoveryLimits,
      ...options.discovery,
    }),
    singleWriterWarning: leases
      ? undefined
      : 'No AzureWebJobsStorage settings: running without the per-target lease, so a concurrent run (timer, another instance, the CLI) is not excluded.',
    now: () => new Date(),
    close: async () => {
      const warning = await appInsights?.close();
      return warning ? [warning] : [];
    },
  };
}

/**
 * Loaded only when a run with a connection string starts: importing `applicationinsights` takes most
 * of a second, which `--help`, usage and configuration errors must not pay.
 */
function loadAppInsightsRotationTelemetry(): typeof import('../azure/appInsights/AppInsightsRotationTelemetry').AppInsightsRotationTelemetry {
  return (
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('../azure/appInsights/AppInsightsRotationTelemetry') as typeof import('../azure/appInsights/AppInsightsRotationTelemetry'))
      .AppInsightsRotationTelemetry
  );
}
