import { createRequire } from 'node:module';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { backendTarget, type Target } from '../helpers/targets.js';
import { closeIfStarted } from '../helpers/started.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const http = new HttpInstrumentation({ enabled: false });

/**
 * The user's own HTTP instrumentation sees every attempt of the default node:http transport, as a
 * client span under the service call's span.
 */
describe('OpenTelemetry: HTTP attempts under the service call', () => {
  let target: Target;
  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
    http.setTracerProvider(provider);
    http.enable();
    // The instrumentation patches node:http when it is next required; the transport calls it through the module object.
    createRequire(import.meta.url)('node:http');
    target = await backendTarget('opensource-agent-memory', { viaPrism: false });
  });
  afterAll(async () => {
    http.disable();
    await closeIfStarted(target);
    trace.disable();
    context.disable();
    await provider.shutdown();
  });

  it('nests each HTTP client span of a call under its adk-redis span', async () => {
    const service = target.service() as RedisSessionMemoryService;
    const session = await service.createSession({ appName: 'http-spans', userId: 'u' });
    exporter.reset();
    await service.getSession({ appName: 'http-spans', userId: 'u', sessionId: session.id });
    const spans = exporter.getFinishedSpans();
    const call = spans.find((s) => s.name === 'adk-redis getSession')!;
    const attempts = spans.filter((s) => s.kind === SpanKind.CLIENT && s.instrumentationScope.name.includes('http'));
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.length).toBe(call.attributes['adk_redis.requests']);
    for (const a of attempts) expect(a.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
  });
});
