import type { EmulatorService } from './EmulatorService';
import type { ResourceGraphQuotaSettings } from './resourceGraph/ResourceGraphState';

/** A token bucket: `capacity` requests at once, refilled continuously at `refillPerSecond`. */
export interface ThrottleSettings {
  readonly capacity: number;
  readonly refillPerSecond: number;
  /**
   * Runs the same shape faster: the bucket refills `timeScale` times as fast (a benchmark of ARM's
   * 200-burst, 10-per-second write bucket at ×10 takes a tenth of the time). Default 1.
   */
  readonly timeScale?: number;
}

export interface EmulatorOptions {
  /** The Entra tenant the emulator's tokens and challenges name. */
  tenantId?: string;
  /** ARM's per-subscription write bucket (writes include POST actions such as regenerateAccessKey). Default 200 / 10 per second. */
  armWriteThrottle?: ThrottleSettings;
  /** ARM's per-subscription read bucket. Default 250 / 25 per second. */
  armReadThrottle?: ThrottleSettings;
  /**
   * Key Vault's secret transaction limits, one pair of buckets per vault: 429 Throttled past them.
   * Default the published limits (`defaultKeyVaultThrottle`); `false` switches throttling off.
   */
  keyVaultThrottle?: KeyVaultThrottleSettings | false;
  /** Azure Resource Graph's per-user query quota. Default 15 queries per 5-second window (Learn, "Guidance for throttled requests in Azure Resource Graph"). */
  resourceGraphQuota?: ResourceGraphQuotaSettings;
  /** Delay added to every request of a service, to make races and timeouts observable. */
  latencyMs?: Partial<Record<EmulatorService, number>>;
  /**
   * Application Insights with local authentication disabled: ingestion then accepts only Entra
   * bearer tokens for https://monitor.azure.com (what infra/ deploys). Default false.
   */
  appInsightsLocalAuthDisabled?: boolean;
  /**
   * Keep every exchange whole (`AzureEmulator.exchanges`) for the OpenAPI conformance check. Off by
   * default: the bodies hold secrets and cost memory.
   */
  recordExchanges?: boolean;
  /** Fixed ports; 0 (the default) lets the OS choose. */
  ports?: Partial<Record<EmulatorService, number>>;
}

/** ARM's documented defaults (Learn, "Understand how Azure Resource Manager throttles requests"). */
export const defaultArmWriteThrottle: ThrottleSettings = { capacity: 200, refillPerSecond: 10 };
export const defaultArmReadThrottle: ThrottleSettings = { capacity: 250, refillPerSecond: 25 };

/**
 * Key Vault's "Secrets, managed storage account keys, and vault transactions" limits, per vault and
 * region in 10 seconds (Learn, "Azure Key Vault service limits",
 * https://learn.microsoft.com/azure/key-vault/general/service-limits): CREATE secret 300, all other
 * transactions 4,000. Modelled as buckets holding one window, refilled at a tenth of it per second.
 */
export interface KeyVaultThrottleSettings {
  /** SetSecret (a new version). Default 300 / 30 per second. */
  readonly create: ThrottleSettings;
  /** Every other secret operation. Default 4,000 / 400 per second. */
  readonly other: ThrottleSettings;
  /**
   * Whether a 429 carries Retry-After (default true). A real 429 captured in the wild carried none
   * (vcsjones/AzureSignTool#219): `false` answers like that one.
   */
  readonly retryAfter?: boolean;
}

export const defaultKeyVaultThrottle: KeyVaultThrottleSettings = {
  create: { capacity: 300, refillPerSecond: 30 },
  other: { capacity: 4000, refillPerSecond: 400 },
};
