import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { azureRetryClientOptions, type RetrySettings } from './azureRetryPolicy';

/** How an ARM adapter reaches Azure Resource Manager: who it is, where ARM is, and the retry policy its SDK clients get. */
export interface ArmConnection {
  readonly credential: TokenCredential;
  readonly resourceManagerEndpoint: string;
  /** Undefined: defaultRetrySettings. */
  readonly retry?: RetrySettings;
  /** Extra per-attempt policies, e.g. the write-budget observer. */
  readonly perRetryPolicies?: readonly PipelinePolicy[];
}

/** The endpoint and retry options every ARM SDK client of sas-rotator gets. */
export function armClientOptions(connection: ArmConnection) {
  return { endpoint: connection.resourceManagerEndpoint, ...azureRetryClientOptions(connection.retry, connection.perRetryPolicies) };
}

/** An ARM SDK client class: the generated ones all take the credential, the subscription and client options. */
export type ArmSdkClient<Client> = new (
  credential: TokenCredential,
  subscriptionId: string,
  options: ReturnType<typeof armClientOptions>,
) => Client;

/** One client per subscription, made by `create` on first use and kept. */
export function clientsPerSubscription<Client>(create: (subscriptionId: string) => Client): (subscriptionId: string) => Client {
  const clients = new Map<string, Client>();
  return (subscriptionId) => {
    let client = clients.get(subscriptionId);
    if (!client) {
      client = create(subscriptionId);
      clients.set(subscriptionId, client);
    }
    return client;
  };
}

/** One `Sdk` client per subscription against the connection's endpoint, with its retry policy. */
export function armClientsPerSubscription<Client>(
  Sdk: ArmSdkClient<Client>,
  connection: ArmConnection,
): (subscriptionId: string) => Client {
  return clientsPerSubscription((subscriptionId) => new Sdk(connection.credential, subscriptionId, armClientOptions(connection)));
}
