import type { CallbackUrlPublication, CallbackUrlStore, OperationOptions, PublishedSecret } from '../../src/rotation/ports';

/** Secret versions in memory, for unit tests of the protocol. */
export class InMemoryCallbackUrlStore implements CallbackUrlStore {
  readonly versions = new Map<string, PublishedSecret[]>();
  failPublish = false;

  async readLatest(secretName: string, _options?: OperationOptions): Promise<PublishedSecret | undefined> {
    return this.versions.get(secretName.toLowerCase())?.at(-1);
  }

  async publish(secretName: string, publication: CallbackUrlPublication, _options?: OperationOptions): Promise<{ version: string }> {
    if (this.failPublish) {
      throw Object.assign(new Error('Operation returned an invalid status code'), { statusCode: 503, code: 'ServiceUnavailable' });
    }
    return this.seed(secretName, publication.value, { ...publication.tags }, publication.contentType, publication.expiresOn);
  }

  seed(secretName: string, value: string, tags: Record<string, string>, contentType?: string, expiresOn?: Date): { version: string } {
    const list = this.versions.get(secretName.toLowerCase()) ?? [];
    const version = `v${list.length + 1}`;
    list.push({ secretName, version, value, contentType, tags, expiresOn });
    this.versions.set(secretName.toLowerCase(), list);
    return { version };
  }

  latest(secretName: string): PublishedSecret | undefined {
    return this.versions.get(secretName.toLowerCase())?.at(-1);
  }
}
