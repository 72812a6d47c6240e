import * as http from 'http';
import * as https from 'https';
import type { AddressInfo, Socket } from 'net';
import { promisify } from 'util';
import { gunzip, inflate } from 'zlib';
import type { EmulatorRequestRecord } from './EmulatorRequestRecord';
import type { RecordedExchange } from './RecordedExchange';
import type { EmulatorRequest, EmulatorResponse, EmulatorServiceHandler } from './EmulatorExchange';
import { faultInterrupts, type FaultInjector, type FaultRule } from './FaultInjector';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export interface ServiceServerOptions {
  readonly handler: EmulatorServiceHandler;
  /** HTTPS with this certificate; plain HTTP without (only the managed-identity endpoint, like App Service). */
  readonly tls?: { readonly key: string; readonly cert: string };
  readonly port: number;
  readonly latencyMs: number;
  readonly faults: FaultInjector;
  readonly record: (record: EmulatorRequestRecord) => void;
  /** Receives every exchange whole (request and answer), for the OpenAPI conformance check. */
  readonly recordExchange?: (exchange: RecordedExchange) => void;
}

/** One listening service: the shared pipeline (latency, faults, recording) around a service handler. */
export class ServiceServer {
  private readonly sockets = new Set<Socket>();
  private readonly server: http.Server;
  private origin = '';

  private constructor(private readonly options: ServiceServerOptions) {
    const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      this.serve(req, res).catch((error: unknown) => {
        console.error(`[emulator:${options.handler.service}] ${errorMessage(error)}`);
        req.socket.destroy();
      });
    };
    this.server = options.tls
      ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, listener)
      : http.createServer(listener);
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    // A TLS handshake that the client aborts (e.g. an untrusted certificate) must not crash the emulator.
    this.server.on('tlsClientError', (_error: Error, socket: Socket) => socket.destroy());
    this.server.on('clientError', (_error: Error, socket: Socket) => socket.destroy());
  }

  static async listen(options: ServiceServerOptions): Promise<ServiceServer> {
    const server = new ServiceServer(options);
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.server.listen(options.port, '127.0.0.1', () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.server.address() as AddressInfo;
    server.origin = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    return server;
  }

  /** `https://127.0.0.1:PORT`, no trailing slash. */
  get baseUrl(): string {
    return this.origin;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { handler, faults } = this.options;
    const at = new Date();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', this.origin);
    const classification = handler.classify(method, url);
    let body: Buffer;
    let unreadable = false;
    try {
      body = await readBody(req);
    } catch {
      // A body that does not decompress is the client's fault: a 400, never a crashed socket.
      body = Buffer.alloc(0);
      unreadable = true;
    }
    const request: EmulatorRequest = { method, url, headers: req.headers, body, ...classification };
    let injectedFault = false;
    const record = (status: number, response?: EmulatorResponse, written?: WrittenResponse): void => {
      this.options.record({
        service: handler.service,
        operationId: classification.operationId,
        method,
        path: url.pathname,
        status,
        ...(classification.subscriptionId !== undefined ? { subscriptionId: classification.subscriptionId } : {}),
        at,
      });
      this.options.recordExchange?.({
        service: handler.service,
        operationId: classification.operationId,
        method,
        url: url.href,
        requestHeaders: flattenHeaders(req.headers),
        requestBody: body.length > 0 ? body.toString('utf8') : undefined,
        status,
        responseHeaders: written?.headers ?? {},
        responseBody:
          written && written.payload.length > 0 && response && !Buffer.isBuffer(response.body)
            ? written.payload.toString('utf8')
            : undefined,
        injectedFault,
      });
    };

    if (unreadable) {
      const response = handler.faultResponse(request, {
        status: 400,
        errorCode: 'InvalidRequestContent',
        message: 'The request body could not be decoded.',
      });
      handler.decorate?.(request, response);
      record(response.status, response, writeResponse(res, response));
      return;
    }
    if (this.options.latencyMs > 0) await delay(this.options.latencyMs);
    const fault = faults.take({ service: handler.service, operationId: classification.operationId, method, path: url.pathname });

    if (fault?.hold) {
      await faults.hold({ service: handler.service, operationId: classification.operationId, method, path: url.pathname });
    }
    let response: EmulatorResponse;
    if (fault && !fault.afterProcessing) {
      if (fault.delayMs) await delay(fault.delayMs);
      if (faultInterrupts(fault)) {
        injectedFault = true;
        if (fault.dropConnection) return this.dropConnection(req, record);
        response = handler.faultResponse(request, fault);
      } else {
        response = await this.handle(request);
      }
    } else {
      response = await this.handle(request);
      if (fault) {
        if (fault.delayMs) await delay(fault.delayMs);
        injectedFault = faultInterrupts(fault);
        if (fault.dropConnection) return this.dropConnection(req, record);
        if (faultInterrupts(fault)) response = handler.faultResponse(request, fault);
      }
    }
    handler.decorate?.(request, response);
    record(response.status, response, writeResponse(res, response));
  }

  private async handle(request: EmulatorRequest): Promise<EmulatorResponse> {
    try {
      return await this.options.handler.handle(request);
    } catch (error) {
      console.error(`[emulator:${this.options.handler.service}] ${request.operationId} failed: ${errorMessage(error)}`);
      const internalError: FaultRule = { status: 500, errorCode: 'InternalServerError', message: 'Encountered internal server error.' };
      return this.options.handler.faultResponse(request, internalError);
    }
  }

  private dropConnection(req: http.IncomingMessage, record: (status: number) => void): void {
    req.socket.destroy();
    record(0);
  }
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const encoding = String(req.headers['content-encoding'] ?? '').toLowerCase();
  if (raw.length > 0 && encoding === 'gzip') return gunzipAsync(raw);
  if (raw.length > 0 && encoding === 'deflate') return inflateAsync(raw);
  return raw;
}

interface WrittenResponse {
  readonly headers: Readonly<Record<string, string>>;
  readonly payload: Buffer;
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : String(value)]),
  );
}

function writeResponse(res: http.ServerResponse, response: EmulatorResponse): WrittenResponse {
  const headers: Record<string, string> = { ...(response.headers ?? {}) };
  let payload: Buffer;
  if (response.body === undefined) {
    payload = Buffer.alloc(0);
  } else if (Buffer.isBuffer(response.body)) {
    payload = response.body;
  } else if (typeof response.body === 'string') {
    payload = Buffer.from(response.body, 'utf8');
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else {
    payload = Buffer.from(JSON.stringify(response.body), 'utf8');
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  headers['content-length'] = String(payload.length);
  res.writeHead(response.status, headers);
  res.end(payload);
  return { headers, payload };
}

/** Unreferenced, so that a long injected delay never keeps a stopped emulator's process alive. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
