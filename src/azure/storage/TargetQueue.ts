import type { TokenCredential } from '@azure/identity';
import { QueueClient, QueueServiceClient, StorageRetryPolicyType, type StoragePipelineOptions } from '@azure/storage-queue';
import { defaultRetrySettings, type RetrySettings } from '../core/azureRetryPolicy';
import { ConfigurationError, type Environment } from '../../composition/config';
import { hostStorageAccess, storageRetryNumbers } from './functionsHostStorage';
import type { OperationOptions } from '../../rotation/ports';
import type { RotationTarget } from '../../rotation/RotationTarget';

/** The queue the timer fans targets out to, and the queue-triggered function reads. */
export const targetQueueName = 'sas-rotation-targets';

/**
 * One queued rotation: the target as the timer resolved it, and the run that queued it. A worker takes
 * only the target's `workflowId` and the `invocationId` from it (readTargetMessage): secret name, adopt
 * and interval come from the configuration as it is when the message is handled, so a forged or stale
 * message cannot change how a target is rotated.
 */
export interface TargetMessage {
  readonly target: RotationTarget;
  readonly invocationId: string;
}

/** What a worker may take from a message. */
export interface TargetMessageReference {
  readonly workflowId?: string;
  readonly invocationId?: string;
}

/** Base64-encoded JSON: the Functions host's default queue message encoding. */
export function encodeTargetMessage(message: TargetMessage): string {
  return Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
}

/**
 * Reads a message as the queue trigger hands it over: the host passes JSON it could decode as an
 * object, anything else as a string (plain or base64 text). Fields of the wrong type are left out.
 */
export function readTargetMessage(message: unknown): TargetMessageReference {
  const body = (typeof message === 'string' ? parseJsonText(message) : message) as
    { target?: { workflowId?: unknown }; invocationId?: unknown } | undefined;
  return {
    workflowId: typeof body?.target?.workflowId === 'string' ? body.target.workflowId : undefined,
    invocationId: typeof body?.invocationId === 'string' ? body.invocationId : undefined,
  };
}

function parseJsonText(message: string): unknown {
  for (const text of [message, Buffer.from(message, 'base64').toString('utf8')]) {
    try {
      return JSON.parse(text);
    } catch {
      // not JSON in this encoding
    }
  }
  return undefined;
}

/**
 * The fan-out queue in the function app's own storage account, found the way the Functions host
 * finds it (`AzureWebJobsStorage` connection string, or identity-based `__queueServiceUri` /
 * `__accountName`).
 */
export class TargetQueue {
  private created: Promise<unknown> | undefined;
  private client: QueueClient | undefined;

  /** The client is built on first use: only fan-out needs the queue, so only fan-out fails without it. */
  constructor(private readonly createClient: () => QueueClient) {}

  private get queue(): QueueClient {
    this.client ??= this.createClient();
    return this.client;
  }

  /**
   * Sends one message per target. Never throws for a message: each one that could not be sent is
   * returned with its error, so the caller can record it (a target not queued is not rotated).
   */
  async enqueue(
    messages: readonly TargetMessage[],
    options: OperationOptions = {},
  ): Promise<ReadonlyArray<{ readonly message: TargetMessage; readonly error: unknown }>> {
    // A failed creation is forgotten, so the next run tries again instead of failing for ever.
    this.created ??= this.queue.createIfNotExists({ abortSignal: options.abortSignal }).catch((error: unknown) => {
      this.created = undefined;
      throw error;
    });
    try {
      await this.created;
    } catch (error) {
      return messages.map((message) => ({ message, error }));
    }
    const pending = [...messages];
    const notSent: Array<{ message: TargetMessage; error: unknown }> = [];
    // A few sends at a time: Storage queues take one message per request.
    await Promise.all(
      Array.from({ length: Math.min(16, pending.length) }, async () => {
        for (let message = pending.shift(); message; message = pending.shift()) {
          try {
            await this.queue.sendMessage(encodeTargetMessage(message), { abortSignal: options.abortSignal });
          } catch (error) {
            notSent.push({ message, error });
          }
        }
      }),
    );
    return notSent;
  }
}

export function createTargetQueue(
  env: Environment,
  credential: TokenCredential,
  retry: RetrySettings = defaultRetrySettings,
): TargetQueue | undefined {
  const pipelineOptions: StoragePipelineOptions = {
    retryOptions: { retryPolicyType: StorageRetryPolicyType.EXPONENTIAL, ...storageRetryNumbers(retry) },
  };
  const access = hostStorageAccess(env, 'queue');
  if (!access) {
    return undefined;
  }
  if ('serviceUri' in access) {
    return new TargetQueue(() => new QueueServiceClient(access.serviceUri, credential, pipelineOptions).getQueueClient(targetQueueName));
  }
  return new TargetQueue(() => {
    try {
      return QueueServiceClient.fromConnectionString(access.connectionString, pipelineOptions).getQueueClient(targetQueueName);
    } catch {
      throw new ConfigurationError([
        "AzureWebJobsStorage has no usable queue endpoint for the fan-out queue. Fix: use the storage account's full connection string, or AzureWebJobsStorage__accountName with a managed identity.",
      ]);
    }
  });
}
