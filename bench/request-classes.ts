// What each class of request a Runner turn sends costs the real Agent Memory Server: the requests of
// one warm turn (this package's and the Python adk-redis's) are recorded, sorted into classes, and
// each is sent again on its own, many times, with the server's API CPU and Redis commands measured
// around it and its after-response work (promotion, indexing) waited for.
import type { RealAgentMemoryServer } from '../src/testing/index.js';
import { cpuUs, redisCalls } from './meter.js';

export const REQUEST_CLASSES = ['full working-memory PUT', 'journal PUT', 'working-memory GET', 'journal GET', 'listing', 'other'] as const;
export type RequestClass = (typeof REQUEST_CLASSES)[number];

/** One request as sent: enough to send it again. */
export interface RecordedRequest {
  method: string;
  url: string;
  body?: string | undefined;
}

export interface RequestClassRow {
  side: 'adk-redis' | 'python';
  sessionLength: number;
  class: RequestClass;
  /** Requests of this class in one warm turn. */
  count: number;
  /** The server's API process CPU per request of the class, after-response work included (µs). */
  serverCpuUs: number;
  /** Redis commands per request of the class. */
  redisCalls: number;
  /** The class's requests changed as `PUT_VARIANTS` says (what part of their cost an option carries), if they were. */
  variant?: string;
}

/**
 * What part of a full PUT's cost the options it carries are, for the turn-cost issue's "send only
 * what the server needs": each full PUT sent again without `context_window_max` (the server then
 * summarises for its default window), and with every message marked extracted (the server's
 * promotion then schedules no extraction for them). The package sends the window whenever one is
 * configured, and marks its messages extracted only with `serverExtraction: false`.
 */
export const PUT_VARIANTS: Record<string, (r: RecordedRequest) => RecordedRequest> = {
  'without context_window_max': (r) => {
    const url = new URL(r.url);
    url.searchParams.delete('context_window_max');
    return { ...r, url: url.toString() };
  },
  'messages marked extracted': (r) => {
    const body = JSON.parse(r.body ?? '{}') as { messages?: Record<string, unknown>[] };
    return { ...r, body: JSON.stringify({ ...body, messages: (body.messages ?? []).map((m) => ({ ...m, discrete_memory_extracted: 't' })) }) };
  },
};

/**
 * This package keeps its bookkeeping (journals, state, the users registry) in working memories of
 * namespaces of its own, `adk-<kind>-<hash>`: a request to one of those is a journal request; any
 * other working memory is a session's own (native) document.
 */
const BOOKKEEPING = /^adk-[a-z]-/;

export function classify(r: RecordedRequest): RequestClass {
  const url = new URL(r.url);
  const m = /^\/v1\/working-memory\/(.*)$/.exec(url.pathname);
  if (!m) return 'other';
  if (r.method === 'GET' && m[1] === '') return 'listing';
  let namespace = url.searchParams.get('namespace') ?? '';
  if (r.method === 'PUT' && r.body) {
    const body = JSON.parse(r.body) as { namespace?: unknown };
    if (typeof body.namespace === 'string') namespace = body.namespace;
  }
  const journal = BOOKKEEPING.test(namespace);
  if (r.method === 'GET') return journal ? 'journal GET' : 'working-memory GET';
  if (r.method === 'PUT') return journal ? 'journal PUT' : 'full working-memory PUT';
  return 'other';
}

/**
 * Each class of the turn's requests sent again `repeats` times, one request at a time (a PUT again
 * with the body it had: the document ends as the turn left it). CPU is read from /proc in clock
 * ticks (10 ms), so it is summed over every repeat before dividing.
 */
export async function measureClasses(
  server: RealAgentMemoryServer,
  side: RequestClassRow['side'],
  sessionLength: number,
  turn: RecordedRequest[],
  repeats: number,
): Promise<RequestClassRow[]> {
  const rows: RequestClassRow[] = [];
  for (const cls of REQUEST_CLASSES) {
    const requests = turn.filter((r) => classify(r) === cls);
    if (!requests.length) continue;
    const row = (measured: { cpu: number; calls: number }, variant?: string): RequestClassRow => ({
      side,
      sessionLength,
      class: cls,
      count: requests.length,
      serverCpuUs: measured.cpu,
      redisCalls: measured.calls,
      ...(variant ? { variant } : {}),
    });
    rows.push(row(await sendAgain(server, requests, repeats)));
    if (cls !== 'full working-memory PUT') continue;
    for (const [variant, change] of Object.entries(PUT_VARIANTS)) rows.push(row(await sendAgain(server, requests.map(change), repeats), variant));
    // The documents as the turn left them.
    await sendAgain(server, requests, 1);
  }
  return rows;
}

/** Requests sent again `repeats` times, one at a time: the server's API CPU and Redis commands per request. */
async function sendAgain(server: RealAgentMemoryServer, requests: RecordedRequest[], repeats: number): Promise<{ cpu: number; calls: number }> {
  let cpu = 0;
  let calls = 0;
  for (let i = 0; i < repeats; i++) {
    for (const r of requests) {
      await server.settled();
      const before = await redisCalls(server);
      const cpuBefore = cpuUs(server.pids.api);
      const res = await fetch(r.url, {
        method: r.method,
        ...(r.body ? { body: r.body, headers: { 'content-type': 'application/json' } } : {}),
      });
      await res.arrayBuffer();
      if (!res.ok && res.status !== 404) throw new Error(`bench: ${r.method} ${r.url} answered ${res.status} when sent again`);
      await server.settled();
      cpu += cpuUs(server.pids.api) - cpuBefore;
      // The INFO that read `before` is counted in the second reading.
      calls += (await redisCalls(server)) - before - 1;
    }
  }
  const n = repeats * requests.length;
  return { cpu: cpu / n, calls: calls / n };
}

export function printRequestClasses(rows: RequestClassRow[]): void {
  const f = (x: number, d = 0) => x.toFixed(d);
  console.log("\n12. A warm Runner turn's requests by class: how many, and what one costs the server (API CPU µs, Redis commands)");
  console.log('| session length | side | class | per turn | CPU µs each | Redis commands each | CPU µs per turn |');
  console.log('| ---: | --- | --- | ---: | ---: | ---: | ---: |');
  for (const r of rows)
    console.log(
      `| ${r.sessionLength} | ${r.side} | ${r.class}${r.variant ? ` (${r.variant})` : ''} | ${r.count} | ${f(r.serverCpuUs)} | ${f(r.redisCalls, 1)} | ${f(r.serverCpuUs * r.count)} |`,
    );
}
