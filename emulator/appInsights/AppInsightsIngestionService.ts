import type { AccessTokenAuthority } from '../AccessTokenAuthority';
import {
  defaultErrorCode,
  jsonResponse,
  type EmulatorRequest,
  type EmulatorResponse,
  type EmulatorServiceHandler,
  type RequestClassification,
} from '../EmulatorExchange';
import type { FaultRule } from '../FaultInjector';
import type { TelemetryEnvelope } from './TelemetryEnvelope';

interface TrackError {
  readonly index: number;
  readonly statusCode: number;
  readonly message: string;
}

/** Breeze refuses items whose time is more than 48 hours old (the reference's error 103). */
const maxAgeMs = 172_800_000;

/**
 * Application Insights ingestion ("Breeze"): `POST /v2.1/track` (and the older `/v2/track`) with a JSON array
 * of envelopes, answered with a TrackResponse. @azure/monitor-opentelemetry-exporter 1.0.0-beta.42 sends
 * plain JSON; gzip and newline-delimited JSON (older SDKs) are accepted too. Live Metrics (QuickPulse) is
 * answered as "nobody is watching", so that the product's telemetry never reaches for the internet.
 */
export class AppInsightsIngestionService implements EmulatorServiceHandler {
  readonly service = 'appInsights' as const;
  private readonly received: TelemetryEnvelope[] = [];

  constructor(
    private readonly instrumentationKey: string,
    private readonly authority: AccessTokenAuthority,
    private readonly localAuthDisabled: boolean,
  ) {}

  get envelopes(): readonly TelemetryEnvelope[] {
    return this.received;
  }

  clear(): void {
    this.received.length = 0;
  }

  classify(method: string, url: URL): RequestClassification {
    const path = url.pathname.toLowerCase();
    if (method === 'POST' && (path === '/v2.1/track' || path === '/v2/track')) return { operationId: 'Track' };
    if (method === 'POST' && path === '/quickpulseservice.svc/ping') return { operationId: 'IsSubscribed' };
    if (method === 'POST' && path === '/quickpulseservice.svc/post') return { operationId: 'Publish' };
    return { operationId: 'Unknown' };
  }

  handle(request: EmulatorRequest): EmulatorResponse {
    if (request.operationId === 'IsSubscribed' || request.operationId === 'Publish') {
      return jsonResponse(200, { ETag: '', Metrics: [], DocumentStreams: [] }, { 'x-ms-qps-subscribed': 'false' });
    }
    if (request.operationId !== 'Track') return jsonResponse(404, { itemsReceived: 0, itemsAccepted: 0, errors: [] });
    const denied = this.authenticationProblem(request);
    if (denied) return denied;

    const items = parseEnvelopes(request.body.toString('utf8'));
    if (!items) {
      return jsonResponse(400, {
        itemsReceived: 0,
        itemsAccepted: 0,
        errors: [{ index: 0, statusCode: 400, message: 'Invalid payload: the body is not a JSON array of envelopes.' }],
      });
    }
    const errors: TrackError[] = [];
    items.forEach((item, index) => {
      const problem = this.envelopeProblem(item);
      if (problem) errors.push({ index, statusCode: 400, message: problem });
      else this.received.push(item as TelemetryEnvelope);
    });
    const accepted = items.length - errors.length;
    const status = errors.length === 0 ? 200 : accepted > 0 ? 206 : 400;
    return jsonResponse(status, { itemsReceived: items.length, itemsAccepted: accepted, errors });
  }

  faultResponse(request: EmulatorRequest, fault: FaultRule): EmulatorResponse {
    const status = fault.status ?? 500;
    const count = parseEnvelopes(request.body.toString('utf8'))?.length ?? 0;
    const message = fault.message ?? fault.errorCode ?? defaultErrorCode(status);
    const errors = Array.from({ length: count }, (_unused, index) => ({ index, statusCode: status, message }));
    return jsonResponse(
      status,
      { itemsReceived: count, itemsAccepted: 0, errors },
      fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : undefined,
    );
  }

  /**
   * Ingestion checks a bearer token whenever one is sent, and demands one when local auth is
   * disabled on the resource; the audience is Azure Monitor's.
   */
  private authenticationProblem(request: EmulatorRequest): EmulatorResponse | undefined {
    const authorization = request.headers.authorization;
    if (!authorization && !this.localAuthDisabled) return undefined;
    const verdict = this.authority.verify(authorization, monitorAudiences);
    if (verdict.outcome === 'valid') return undefined;
    const count = parseEnvelopes(request.body.toString('utf8'))?.length ?? 0;
    const status = verdict.outcome === 'wrongAudience' ? 403 : 401;
    const message =
      verdict.outcome === 'missing'
        ? 'Authorization is required: local authentication is disabled on this resource.'
        : `Authorization failed (${verdict.outcome}).`;
    return jsonResponse(status, { itemsReceived: count, itemsAccepted: 0, errors: [{ index: 0, statusCode: status, message }] });
  }

  private envelopeProblem(item: unknown): string | undefined {
    if (typeof item !== 'object' || item === null) return 'Invalid item: not an object.';
    const envelope = item as Partial<TelemetryEnvelope>;
    if (!envelope.name) return "100: Field 'name' on type 'Envelope' is required but missing or empty.";
    if (!envelope.time) return "100: Field 'time' on type 'Envelope' is required but missing or empty.";
    if (!envelope.iKey) return "100: Field 'iKey' on type 'Envelope' is required but missing or empty.";
    if (envelope.iKey.toLowerCase() !== this.instrumentationKey.toLowerCase()) return 'Invalid instrumentation key';
    const age = Date.now() - Date.parse(envelope.time);
    if (Number.isNaN(age)) return `101: Field 'time' on type 'Envelope' is not a valid date-time: '${envelope.time}'.`;
    if (age > maxAgeMs)
      return `103: Field 'time' on type 'Envelope' is older than the allowed min date. Expected: now - ${maxAgeMs}ms, Actual: now - ${age}ms`;
    return undefined;
  }
}

const monitorAudiences = ['https://monitor.azure.com', 'https://monitor.azure.com/'];

function parseEnvelopes(text: string): unknown[] | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  try {
    const parsed: unknown = JSON.parse(trimmed);
    return Array.isArray(parsed) ? parsed : [parsed];
  } catch {
    try {
      return trimmed
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as unknown);
    } catch {
      return undefined;
    }
  }
}
