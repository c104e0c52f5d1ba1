import { FunctionTool, LlmAgent, Runner, type Event } from '@google/adk';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RedisLongTermMemoryService } from '../../src/services/memory-service.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { backendTarget, type Target } from '../helpers/targets.js';
import { ScriptedLlm, lastContent, lastUserText } from '../helpers/scripted-llm.js';
import { closeIfStarted } from '../helpers/started.js';
import { ManualReader } from '../helpers/manual-reader.js';

const exporter = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const reader = new ManualReader();
const meterProvider = new MeterProvider({ readers: [reader] });
const contextManager = new AsyncLocalStorageContextManager();

const SECRET = 'tangerine-umbrella-4711';

function coach() {
  const model = new ScriptedLlm((req) => {
    const last = lastContent(req);
    if (last?.parts?.some((p) => p.functionResponse)) return { content: { role: 'model', parts: [{ text: 'Saved.' }] } };
    const goal = /my goal is (.+)/i.exec(lastUserText(req))?.[1];
    if (goal) return { content: { role: 'model', parts: [{ functionCall: { name: 'save_goal', args: { goal } } }] } };
    return { content: { role: 'model', parts: [{ text: 'Tell me your goal.' }] } };
  });
  const saveGoal = new FunctionTool({
    name: 'save_goal',
    description: 'Records the goal.',
    parameters: z.object({ goal: z.string() }),
    execute: ({ goal }, ctx) => {
      ctx?.state.set('goal', goal);
      return Promise.resolve({ saved: goal });
    },
  });
  return new LlmAgent({ name: 'coach', model, instruction: 'Be a coach.', tools: [saveGoal] });
}

async function turn(runner: Runner, userId: string, sessionId: string, text: string): Promise<Event[]> {
  const out: Event[] = [];
  for await (const e of runner.runAsync({ userId, sessionId, newMessage: { role: 'user', parts: [{ text }] } })) out.push(e);
  return out;
}

const ours = (spans: ReadableSpan[]) => spans.filter((s) => s.instrumentationScope.name === 'adk-redis');
/** Whether `span` descends from `ancestor` through the spans recorded. */
function descendsFrom(span: ReadableSpan, ancestor: ReadableSpan, spans: ReadableSpan[]): boolean {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  for (let p = span.parentSpanContext?.spanId; p; p = byId.get(p)?.parentSpanContext?.spanId) if (p === ancestor.spanContext().spanId) return true;
  return false;
}

async function metricPoints(name: string) {
  const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics };
  return resourceMetrics.scopeMetrics
    .filter((s) => s.scope.name === 'adk-redis')
    .flatMap((s) => s.metrics)
    .filter((m) => m.descriptor.name === name)
    .flatMap((m) => m.dataPoints as { attributes: Record<string, unknown>; value: unknown }[]);
}

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
});
afterAll(async () => {
  trace.disable();
  metrics.disable();
  context.disable();
  await tracerProvider.shutdown();
  await meterProvider.shutdown();
});
beforeEach(() => exporter.reset());

describe.each(['redis-agent-memory', 'opensource-agent-memory'] as const)('OpenTelemetry on %s', (backend) => {
  let target: Target;
  beforeAll(async () => {
    target = await backendTarget(backend, { viaPrism: false });
  });
  afterAll(() => closeIfStarted(target));

  it("puts one span per service call inside ADK's invocation span, with what the call sent", async () => {
    const appName = `telemetry-${backend}`;
    const service = target.service() as RedisSessionMemoryService;
    const runner = new Runner({ appName, agent: coach(), sessionService: service });
    const session = await service.createSession({ appName, userId: 'alice' });
    exporter.reset();
    await turn(runner, 'alice', session.id, 'My goal is a sub-50 10k');
    const spans = exporter.getFinishedSpans();
    const invocation = spans.find((s) => s.name === 'invocation');
    expect(invocation).toBeDefined();
    const mine = ours(spans);
    // getSession, then the user message, the call, its result and the answer.
    expect(mine.map((s) => s.name)).toEqual([
      'adk-redis getSession',
      'adk-redis appendEvent',
      'adk-redis appendEvent',
      'adk-redis appendEvent',
      'adk-redis appendEvent',
    ]);
    const url = new URL(target.config().apiBaseUrl!);
    for (const s of mine) {
      expect(descendsFrom(s, invocation!, spans)).toBe(true);
      expect(s.instrumentationScope.version).toBe('0.1.0');
      expect(s.attributes).toMatchObject({
        'adk_redis.backend': backend,
        'adk_redis.operation': s.name.split(' ')[1],
        'adk_redis.retries': 0,
        'server.address': url.hostname,
        'server.port': Number(url.port),
      });
      expect(s.attributes['adk_redis.requests']).toBeGreaterThanOrEqual(1);
      expect(s.attributes['adk_redis.response_bytes']).toBeGreaterThan(0);
      expect(s.attributes['error.type']).toBeUndefined();
    }
    const appends = mine.filter((s) => s.name === 'adk-redis appendEvent');
    for (const s of appends) expect(s.attributes['adk_redis.request_bytes']).toBeGreaterThan(0);
    const durations = await metricPoints('adk_redis.operation.duration');
    expect(durations.some((p) => p.attributes['adk_redis.operation'] === 'appendEvent' && p.attributes['adk_redis.backend'] === backend)).toBe(true);
  });

  it('shows each retry as a span event and in the retries counter, and a failure as error.type', async () => {
    const service = new RedisSessionMemoryService(target.config({ maxRetries: 2, retryBaseDelay: 0.001 }));
    const appName = `retry-${backend}`;
    target.server!.faults.add({ kind: 'status', status: 503, times: 1 });
    await service.createSession({ appName, userId: 'bob', sessionId: 's1' });
    target.server!.faults.clear();
    const [created] = ours(exporter.getFinishedSpans());
    expect(created!.name).toBe('adk-redis createSession');
    expect(created!.attributes['adk_redis.retries']).toBe(1);
    const retries = created!.events.filter((e) => e.name === 'adk-redis retry');
    expect(retries).toHaveLength(1);
    expect(retries[0]!.attributes).toMatchObject({ 'http.response.status_code': 503, 'error.type': 'ServerError' });
    expect(retries[0]!.attributes!['adk_redis.retry.wait_ms']).toBeGreaterThanOrEqual(0);
    const counted = await metricPoints('adk_redis.retries');
    expect(counted.some((p) => p.attributes['adk_redis.backend'] === backend && p.attributes['http.response.status_code'] === 503)).toBe(true);

    exporter.reset();
    const error = await service.createSession({ appName, userId: 'bob', sessionId: 's1' }).catch((e: unknown) => e);
    expect((error as Error).constructor.name).toBe('ConflictError');
    const [failed] = ours(exporter.getFinishedSpans());
    expect(failed!.status.code).toBe(2);
    expect(failed!.attributes['error.type']).toBe('ConflictError');
    const durations = await metricPoints('adk_redis.operation.duration');
    expect(durations.some((p) => p.attributes['error.type'] === 'ConflictError')).toBe(true);
  });

  it('records no text, state, query or key, and ids only when asked', async () => {
    const appName = `private-${backend}`;
    const key = target.config().apiKey;
    const sessions = target.service() as RedisSessionMemoryService;
    const memory = target.memory!();
    const s = await sessions.createSession({ appName, userId: 'carol', state: { secret: SECRET } });
    const runner = new Runner({ appName, agent: coach(), sessionService: sessions, memoryService: memory });
    await turn(runner, 'carol', s.id, `My goal is ${SECRET}`);
    await memory.addMemory({ appName, userId: 'carol', memories: [{ content: { parts: [{ text: `I like ${SECRET}` }] } }] });
    await memory.searchMemory({ appName, userId: 'carol', query: `what about ${SECRET}?` });
    const recorded = JSON.stringify(
      ours(exporter.getFinishedSpans()).map((x) => ({ name: x.name, attributes: x.attributes, events: x.events, status: x.status })),
    );
    expect(recorded).toContain('adk-redis searchMemory');
    expect(recorded).not.toContain(SECRET);
    expect(recorded).not.toContain('carol');
    expect(recorded).not.toContain(s.id);
    if (key) expect(recorded).not.toContain(key);

    exporter.reset();
    const identified = new RedisLongTermMemoryService({ ...target.config(), telemetry: { includeIds: true } });
    await identified.searchMemory({ appName, userId: 'carol', query: SECRET });
    const [search] = ours(exporter.getFinishedSpans());
    expect(search!.attributes).toMatchObject({ 'adk_redis.app_name': appName, 'adk_redis.user_id': 'carol' });
    expect(JSON.stringify(search!.attributes)).not.toContain(SECRET);
  });
});
