// The cost of telemetry per service call: the same calls with no OpenTelemetry SDK registered
// (the API's no-op tracer and meter) and with a tracer provider and a meter provider registered
// (in-memory span exporter, a manual metric reader), alternating in rounds on the same servers.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createEvent } from '@google/adk';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ManualReader } from '../test/helpers/manual-reader.js';
import { RedisLongTermMemoryService } from '../src/services/memory-service.js';
import { RedisSessionMemoryService } from '../src/services/session-service.js';
import { ServiceTelemetry, serverAttributes } from '../src/telemetry/telemetry.js';

type Backend = 'redis-agent-memory' | 'opensource-agent-memory';
const ROUNDS = Number(process.env.BENCH_TELEMETRY_ROUNDS ?? 12);
const PER_ROUND = 25;

export interface TelemetryRow {
  backend: Backend;
  operation: string;
  withoutUs: number;
  withUs: number;
  overheadUs: number;
  overheadPercent: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The wrapper alone around a call that does nothing: µs per call with and without the SDK, without the noise of I/O. */
export interface IsolatedCost {
  bareUs: number;
  noSdkUs: number;
  sdkUs: number;
}

export async function telemetryOverhead(configFor: (backend: Backend) => Record<string, unknown>): Promise<{ rows: TelemetryRow[]; isolated: IsolatedCost }> {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const meterProvider = new MeterProvider({ readers: [new ManualReader()] });
  const contextManager = new AsyncLocalStorageContextManager();
  const register = (on: boolean) => {
    trace.disable();
    metrics.disable();
    context.disable();
    if (!on) return;
    context.setGlobalContextManager(contextManager.enable());
    trace.setGlobalTracerProvider(tracerProvider);
    metrics.setGlobalMeterProvider(meterProvider);
  };
  const rows: TelemetryRow[] = [];
  for (const backend of ['redis-agent-memory', 'opensource-agent-memory'] as Backend[]) {
    const cfg = configFor(backend);
    const sessions = new RedisSessionMemoryService(cfg);
    const memory = new RedisLongTermMemoryService(cfg);
    const app = `tel-${randomUUID().slice(0, 8)}`;
    const session = await sessions.createSession({ appName: app, userId: 'u' });
    let n = 0;
    const ops: Record<string, () => Promise<unknown>> = {
      createSession: () => sessions.createSession({ appName: app, userId: 'u' }),
      appendEvent: () =>
        sessions.appendEvent({
          session,
          event: createEvent({ invocationId: 'i', author: 'user', timestamp: Date.now(), content: { role: 'user', parts: [{ text: `message ${++n}` }] } }),
        }),
      getSession: () => sessions.getSession({ appName: app, userId: 'u', sessionId: session.id }),
      searchMemory: () => memory.searchMemory({ appName: app, userId: 'u', query: 'tempo runs' }),
    };
    for (const [operation, run] of Object.entries(ops)) {
      const times: Record<'off' | 'on', number[]> = { off: [], on: [] };
      for (let r = 0; r < ROUNDS; r++) {
        for (const mode of r % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
          register(mode === 'on');
          for (let i = 0; i < PER_ROUND; i++) {
            const t = performance.now();
            await run();
            times[mode].push((performance.now() - t) * 1000);
          }
          exporter.reset();
        }
      }
      const withoutUs = median(times.off);
      const withUs = median(times.on);
      rows.push({ backend, operation, withoutUs, withUs, overheadUs: withUs - withoutUs, overheadPercent: ((withUs - withoutUs) / withoutUs) * 100 });
    }
  }
  // The wrapper alone: 20 000 calls of a function that resolves at once, per mode, three rounds, the best kept.
  const wrapper = new ServiceTelemetry('opensource-agent-memory', serverAttributes('http://127.0.0.1:8000'));
  const nothing = () => Promise.resolve(0);
  const perCall = async (f: () => Promise<unknown>) => {
    const t = performance.now();
    for (let i = 0; i < 20_000; i++) await f();
    return ((performance.now() - t) * 1000) / 20_000;
  };
  const best: IsolatedCost = { bareUs: Infinity, noSdkUs: Infinity, sdkUs: Infinity };
  for (let r = 0; r < 3; r++) {
    register(false);
    best.bareUs = Math.min(best.bareUs, await perCall(nothing));
    best.noSdkUs = Math.min(best.noSdkUs, await perCall(() => wrapper.call('getSession', {}, nothing)));
    register(true);
    best.sdkUs = Math.min(best.sdkUs, await perCall(() => wrapper.call('getSession', {}, nothing)));
    exporter.reset();
  }
  register(false);
  return { rows, isolated: best };
}

export function printTelemetry({ rows, isolated }: { rows: TelemetryRow[]; isolated: IsolatedCost }): void {
  console.log('\n12. Telemetry: median µs per call with no OpenTelemetry SDK, and with a tracer and a meter provider registered (in-memory exporter)');
  console.log('| backend | operation | no SDK µs | SDK µs | overhead µs | overhead % |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  for (const r of rows)
    console.log(
      `| ${r.backend} | ${r.operation} | ${r.withoutUs.toFixed(0)} | ${r.withUs.toFixed(0)} | ${r.overheadUs.toFixed(1)} | ${r.overheadPercent.toFixed(1)} |`,
    );
  console.log(
    `\nThe wrapper alone, around a call that does nothing: ${isolated.bareUs.toFixed(2)} µs bare, ${isolated.noSdkUs.toFixed(2)} µs with no SDK (+${(isolated.noSdkUs - isolated.bareUs).toFixed(2)}), ${isolated.sdkUs.toFixed(2)} µs with the SDK (+${(isolated.sdkUs - isolated.bareUs).toFixed(2)})`,
  );
}
