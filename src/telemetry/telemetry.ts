import {
  ProxyTracerProvider,
  SpanKind,
  SpanStatusCode,
  createNoopMeter,
  metrics,
  trace,
  type Attributes,
  type Counter,
  type Histogram,
  type MeterProvider,
  type TracerProvider,
} from '@opentelemetry/api';
import { CallRecord, currentCall, withCall } from './calls.js';
import { PACKAGE_VERSION } from './version.js';

/** The name of this package's tracer and meter. */
export const INSTRUMENTATION_NAME = 'adk-redis';

/** What the services record, beyond operation, backend, counts and errors. */
export interface TelemetryOptions {
  /** Record the app, user and session ids on spans (`adk_redis.app_name`, `.user_id`, `.session_id`). Off by default: ids can be personal data. */
  includeIds?: boolean | undefined;
}

/** The ids of a call, recorded only when the service was configured with `telemetry: { includeIds: true }`. */
export interface CallIds {
  appName?: string | undefined;
  userId?: string | undefined;
  sessionId?: string | undefined;
}

// A ProxyTracer: spans start going to the user's provider once one is registered, even later.
const tracer = trace.getTracer(INSTRUMENTATION_NAME, PACKAGE_VERSION);

interface Instruments {
  provider: MeterProvider;
  /** No meter provider is registered: nothing would be recorded. */
  noop: boolean;
  duration: Histogram;
  retries: Counter;
}

/** What a tracer provider delegates to when none is registered. */
const NO_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();

/** Whether a tracer provider is registered (the API's global provider delegates to it). */
function tracing(): boolean {
  const global: TracerProvider = trace.getTracerProvider();
  return !(global instanceof ProxyTracerProvider) || global.getDelegate() !== NO_TRACER_PROVIDER;
}
let instruments: Instruments | undefined;

/** The meter's instruments, made again when another meter provider has been registered (the metrics API has no proxy). */
function meterInstruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (instruments?.provider === provider) return instruments;
  const meter = provider.getMeter(INSTRUMENTATION_NAME, PACKAGE_VERSION);
  instruments = {
    provider,
    noop: meter === createNoopMeter(),
    duration: meter.createHistogram('adk_redis.operation.duration', { unit: 's', description: 'Duration of adk-redis session and memory service calls' }),
    retries: meter.createCounter('adk_redis.retries', { unit: '{retry}', description: 'Backend requests adk-redis retried' }),
  };
  return instruments;
}

/** Where the backend is, as OpenTelemetry's `server.address` and `server.port`. */
export function serverAttributes(apiBaseUrl: string): Attributes {
  const url = new URL(apiBaseUrl);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { 'server.address': url.hostname, 'server.port': port };
}

/** Traces and measures the calls of one service instance. */
export class ServiceTelemetry {
  constructor(
    private readonly backend: string,
    private readonly server: Attributes,
    private readonly options: TelemetryOptions = {},
  ) {}

  /**
   * Runs one service call inside a span `adk-redis <operation>`, a child of the active span, and
   * records its duration. Only names, counts and error classes are recorded: never text, state,
   * queries or keys, and ids only when asked for.
   */
  call<T>(operation: string, ids: CallIds, work: () => Promise<T>): Promise<T> {
    // With no SDK registered there is nothing to record: the call runs as it is.
    if (meterInstruments().noop && !tracing()) return work();
    const base: Attributes = { 'adk_redis.backend': this.backend, 'adk_redis.operation': operation };
    const attributes: Attributes = { ...base, ...this.server, ...(this.options.includeIds ? idAttributes(ids) : {}) };
    return tracer.startActiveSpan(`${INSTRUMENTATION_NAME} ${operation}`, { kind: SpanKind.INTERNAL, attributes }, async (span) => {
      const record = new CallRecord(this.backend, operation, span, currentCall());
      const started = performance.now();
      let errorType: string | undefined;
      try {
        return await withCall(record, work);
      } catch (error) {
        errorType = error instanceof Error ? error.constructor.name : 'Error';
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
        throw error;
      } finally {
        span.setAttributes({
          'adk_redis.requests': record.requests,
          'adk_redis.retries': record.retries,
          'adk_redis.request_bytes': record.requestBytes,
          'adk_redis.response_bytes': record.responseBytes,
          ...(errorType ? { 'error.type': errorType } : {}),
        });
        span.end();
        meterInstruments().duration.record((performance.now() - started) / 1000, { ...base, ...(errorType ? { 'error.type': errorType } : {}) });
      }
    });
  }
}

function idAttributes(ids: CallIds): Attributes {
  return {
    ...(ids.appName !== undefined ? { 'adk_redis.app_name': ids.appName } : {}),
    ...(ids.userId !== undefined ? { 'adk_redis.user_id': ids.userId } : {}),
    ...(ids.sessionId !== undefined ? { 'adk_redis.session_id': ids.sessionId } : {}),
  };
}

/** Records a retry of the running call: a span event with what failed and the wait, and the retries counter. */
export function noteRetry(failure: { status?: number | undefined; name: string }, waitMs: number): void {
  const call = currentCall();
  if (!call) return;
  for (let c: CallRecord | undefined = call; c; c = c.parent) c.retries += 1;
  const cause: Attributes =
    failure.status !== undefined ? { 'http.response.status_code': failure.status, 'error.type': failure.name } : { 'error.type': failure.name };
  call.span.addEvent('adk-redis retry', { ...cause, 'adk_redis.retry.wait_ms': Math.round(waitMs) });
  meterInstruments().retries.add(1, { 'adk_redis.backend': call.backend, 'adk_redis.operation': call.operation, ...cause });
}

/** The ids a service request names (read defensively: bad input is rejected inside the call, not here). */
export function callIds(request: unknown): CallIds {
  if (typeof request !== 'object' || request === null) return {};
  const r = request as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return { appName: text(r.appName), userId: text(r.userId), sessionId: text(r.sessionId) };
}

/** The ids of an ADK session object. */
export function sessionCallIds(session: unknown): CallIds {
  const ids = callIds(session);
  const id = typeof session === 'object' && session !== null ? (session as Record<string, unknown>).id : undefined;
  return { ...ids, sessionId: typeof id === 'string' ? id : undefined };
}
