import { createEvent, createEventActions, isCompactedEvent, type Event, type Session } from '@google/adk';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLongTermMemoryService } from '../../src/services/memory-service.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { startRealAgentMemoryServer, startReferenceServer, type ReferenceServer } from '../../src/testing/index.js';
import { Recorder, type Exchange } from '../helpers/recorder.js';
import { closeIfStarted } from '../helpers/started.js';

/**
 * One scripted scenario on the real Agent Memory Server v0.15.2 and on the reference server,
 * compared step by step as a client observes it: every HTTP exchange (status and body) and every
 * service result, with server-made ids, times and scores normalised. The real server is right;
 * a difference here is fixed in the reference server (docs/testing.md, "Reference server fidelity").
 */
const T0 = Date.parse('2020-09-13T12:00:00Z');
const APP = 'diff-app';
const USER = 'dana';

interface Observation {
  step: string;
  exchanges: Exchange[];
  result: unknown;
}

const text = (e: Event) =>
  e.content?.parts
    ?.map((p) => p.text ?? (p.functionCall ? `call:${p.functionCall.name}` : p.functionResponse ? `result:${p.functionResponse.name}` : ''))
    .join('|');
const seen = (s: Session | undefined) =>
  s && {
    id: s.id,
    state: s.state,
    events: s.events.map((e) =>
      isCompactedEvent(e)
        ? { compacted: e.compactedContent, startTime: e.startTime, endTime: e.endTime }
        : { id: e.id, author: e.author, text: text(e), at: e.timestamp },
    ),
  };

function turn(i: number): Event {
  const at = T0 + i * 1000;
  if (i % 10 === 3)
    return createEvent({
      id: `e${i}`,
      invocationId: `inv${i}`,
      author: 'coach',
      timestamp: at,
      content: { role: 'model', parts: [{ functionCall: { id: `c${i}`, name: 'log_run', args: { km: i } } }] },
    });
  if (i % 10 === 4) {
    return createEvent({
      id: `e${i}`,
      invocationId: `inv${i}`,
      author: 'coach',
      timestamp: at,
      content: { role: 'user', parts: [{ functionResponse: { id: `c${i - 1}`, name: 'log_run', response: { logged: i - 1 } } }] },
      actions: createEventActions({ stateDelta: { runs: i, 'user:total': i * 2 } }),
    });
  }
  const fromUser = i % 2 === 0;
  return createEvent({
    id: `e${i}`,
    invocationId: `inv${i}`,
    author: fromUser ? 'user' : 'coach',
    timestamp: at,
    content: { role: fromUser ? 'user' : 'model', parts: [{ text: fromUser ? `I ran ${i} km along the river today` : `Well done on run ${i}` }] },
  });
}

async function scenario(server: ReferenceServer): Promise<Observation[]> {
  const rec = new Recorder();
  const out: Observation[] = [];
  const step = async (name: string, body: () => Promise<unknown>) => {
    const from = rec.exchanges.length;
    const result = await body();
    out.push({ step: name, exchanges: rec.since(from), result: rec.normalise(result) });
  };
  const config = { backend: 'opensource-agent-memory' as const, apiBaseUrl: server.url, fetch: rec.fetch, maxRetries: 0 };
  const svc = new RedisSessionMemoryService(config);
  // Searches by meaning alone. The fused default also sends a keyword search beside it, whose scores
  // differ where several records match (plain BM25 against the server's BM25STD, docs/testing.md)
  // and whose access counts depend on which of the two requests the server finishes first; the
  // scenario's keyword searches below are sent one at a time, each matching one record.
  const mem = new RedisLongTermMemoryService({ ...config, searchMode: 'semantic' });
  const raw = async (method: string, path: string, body?: unknown) => {
    const res = await rec.fetch(`${server.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  let session!: Session;

  await step('create', async () => seen((session = await svc.createSession({ appName: APP, userId: USER, sessionId: 'run-log', state: { level: 1 } }))));
  await step('30 appends with a tool call and state', async () => {
    for (let i = 0; i < 30; i++) await svc.appendEvent({ session, event: turn(i) });
  });
  await step('getSession', async () => seen(await svc.getSession({ appName: APP, userId: USER, sessionId: 'run-log' })));
  await step('list after writes to three sessions', async () => {
    const second = await svc.createSession({ appName: APP, userId: USER, sessionId: 'plan' });
    await svc.appendEvent({
      session: second,
      event: createEvent({ id: 'p1', author: 'user', timestamp: T0 + 40_000, content: { role: 'user', parts: [{ text: 'Plan my week' }] } }),
    });
    await svc.createSession({ appName: APP, userId: USER, sessionId: 'empty' });
    await svc.appendEvent({
      session,
      event: createEvent({ id: 'e30', author: 'coach', timestamp: T0 + 41_000, content: { role: 'model', parts: [{ text: 'Rest tomorrow' }] } }),
    });
    return {
      service: (await svc.listSessions({ appName: APP, userId: USER })).sessions.map((s) => s.id).sort(),
      raw: await raw('GET', `/v1/working-memory/?namespace=${APP}&user_id=${USER}`),
    };
  });
  await step('addMemory and searchMemory', async () => {
    await mem.addMemory({
      appName: APP,
      userId: USER,
      memories: ['User prefers trail running', 'User is training for a half marathon', 'User dislikes treadmills'].map((t) => ({
        content: { role: 'user', parts: [{ text: t }] },
      })),
    });
    await server.settled();
    const found = await mem.searchMemory({ appName: APP, userId: USER, query: 'what running does the user like' });
    // The search counts an access of each record it found in work that runs after it answers (the
    // real server's update_last_accessed); the next step's records show that count once it has run.
    await server.settled();
    return found.memories.map((m) => ({ id: m.id, text: m.content.parts?.[0]?.text, type: m.memoryType, score: m.score }));
  });
  await step('keyword search: only the records that share a word with the query', async () => {
    const search = (text: string) =>
      raw('POST', '/v1/long-term-memory/search', { text, search_mode: 'keyword', user_id: { eq: USER }, namespace: { eq: APP }, recency_boost: false });
    // Each query shares a word with one record, or with none; punctuation parts words in a query as in a text.
    return [await search('treadmills'), await search('half marathon'), await search('swimming'), await search('treadmills?')];
  });
  await step('memory prompt', async () => {
    const current = (await svc.getSession({ appName: APP, userId: USER, sessionId: 'run-log' }))!;
    // A query at a different distance from each memory: RediSearch orders tied distances its own way.
    return (await mem.memoryPrompt({ appName: APP, userId: USER, query: 'How far did I run on the trail before my half marathon?', session: current }))
      .messages;
  });
  await step('background extraction', async () => {
    await server.runBackgroundTasks();
    const doc = await raw('GET', `/v1/working-memory/run-log?namespace=${APP}&user_id=${USER}`);
    const found = await mem.searchMemory({ appName: APP, userId: USER, query: 'ran km along the river', limit: 20 });
    return {
      marks: (doc.body.messages as { id: string; discrete_memory_extracted: string }[]).map((m) => `${m.id}:${m.discrete_memory_extracted}`),
      memories: found.memories.map((m) => m.content.parts?.[0]?.text).sort(),
    };
  });
  await step('summarisation in a 300-token window', async () => {
    const small = new RedisSessionMemoryService({ ...config, contextWindowMax: 300 });
    const s = await small.createSession({ appName: APP, userId: USER, sessionId: 'long' });
    for (let i = 0; i < 16; i++) {
      await small.appendEvent({
        session: s,
        event: createEvent({
          id: `l${i}`,
          author: i % 2 ? 'coach' : 'user',
          timestamp: T0 + 60_000 + i * 1000,
          content: { role: i % 2 ? 'model' : 'user', parts: [{ text: `Week ${i}: intervals on Tuesday, tempo on Thursday and a long run on Sunday` }] },
        }),
      });
    }
    return seen(await small.getSession({ appName: APP, userId: USER, sessionId: 'long' }));
  });
  await step("a foreign client's PUT", async () => {
    const doc = await raw('GET', `/v1/working-memory/run-log?namespace=${APP}&user_id=${USER}`);
    const messages = [
      ...(doc.body.messages as unknown[]),
      { id: 'foreign-1', role: 'user', content: 'Added by another client', created_at: new Date(T0 + 50_000).toISOString() },
    ];
    const put = await raw('PUT', `/v1/working-memory/run-log`, { ...doc.body, messages });
    const read = await svc.getSession({ appName: APP, userId: USER, sessionId: 'run-log' });
    return { put: put.status, tail: seen(read)!.events.slice(-3) };
  });
  await step("ids the server's TAG match confuses", async () => {
    // Another client writes a session for DANA; the server lists and finds it for dana too.
    await raw('PUT', '/v1/working-memory/shadow', {
      namespace: APP,
      user_id: 'DANA',
      messages: [{ id: 's1', role: 'user', content: 'Not dana', created_at: new Date(T0).toISOString() }],
    });
    const asDana = await raw('GET', `/v1/working-memory/shadow?namespace=${APP}&user_id=${USER}`);
    return {
      rawListing: (await raw('GET', `/v1/working-memory/?namespace=${APP}&user_id=${USER}`)).body,
      rawFallback: { status: asDana.status, user: asDana.body.user_id },
      listed: (await svc.listSessions({ appName: APP, userId: USER })).sessions.map((s) => s.id).sort(),
      read: seen(await svc.getSession({ appName: APP, userId: USER, sessionId: 'shadow' })) ?? null,
    };
  });
  await step('errors', async () => [
    await raw('GET', '/v1/working-memory/?limit=0'),
    await raw('GET', `/v1/working-memory/nowhere?namespace=${APP}&user_id=${USER}`),
    await raw('PUT', '/v1/working-memory/bad', { messages: [{ role: 'user', content: '   ' }] }),
    await raw('POST', '/v1/long-term-memory/search', { text: 'x', limit: 1000 }),
    await raw('PUT', '/v1/working-memory/future', {
      messages: [{ role: 'user', content: 'later', created_at: new Date(Date.now() + 3_600_000).toISOString() }],
    }),
  ]);
  return out;
}

/** Exchanges by request line and how often that request was sent before. */
function byRequest(exchanges: Exchange[]): Map<string, Exchange> {
  const seenCount = new Map<string, number>();
  return new Map(
    lastReadBack(exchanges).map((x) => {
      const n = (seenCount.get(x.request) ?? 0) + 1;
      seenCount.set(x.request, n);
      return [`${x.request} #${n}`, x];
    }),
  );
}

/**
 * A long-term write is confirmed by reading its records back until the server has indexed them
 * (`confirmIndexed`): how many reads that takes is how long the server took to index, not what it
 * does, so only the last read of each record is compared (the one that found it).
 */
function lastReadBack(exchanges: Exchange[]): Exchange[] {
  const isReadBack = (x: Exchange) => /^GET \/v1\/long-term-memory\/[^/?]+$/.test(x.request);
  return exchanges.filter((x, i) => !isReadBack(x) || !exchanges.slice(i + 1).some((later) => later.request === x.request));
}

/**
 * A search's results of equal score come in any order (RediSearch orders ties its own way, and a CI
 * run saw it differ from one run to the next): they are compared in text order, without the ids and
 * hashes the order numbered.
 */
function tiesInTextOrder(x: Exchange | undefined): Exchange | undefined {
  const body = x?.body as { memories?: Record<string, unknown>[] } | undefined;
  if (!x || !x.request.includes('/long-term-memory/search') || !Array.isArray(body?.memories)) return x;
  const score = (m: Record<string, unknown>) => Number(m.score ?? -Number(m.dist ?? 0));
  const memories = [...body.memories]
    .map(({ id: _id, memory_hash: _hash, ...m }) => m)
    .sort((a, b) => score(b) - score(a) || String(a.text).localeCompare(String(b.text)));
  return { ...x, body: { ...body, memories } };
}

describe('the reference server observed side by side with the real Agent Memory Server v0.15.2', () => {
  let real: ReferenceServer;
  let reference: ReferenceServer;
  let observed: { real: Observation[]; reference: Observation[] };
  beforeAll(async () => {
    [real, reference] = await Promise.all([
      startRealAgentMemoryServer({ backgroundTasks: 'manual' }),
      startReferenceServer({ backend: 'opensource-agent-memory', backgroundTasks: 'manual' }),
    ]);
    observed = { real: await scenario(real), reference: await scenario(reference) };
    // For working on the reference server: ADK_REDIS_DIFF_DUMP=<file> keeps both observations.
    if (process.env.ADK_REDIS_DIFF_DUMP) writeFileSync(process.env.ADK_REDIS_DIFF_DUMP, JSON.stringify(observed, null, 1));
  }, 300_000);
  afterAll(async () => {
    await closeIfStarted(real);
    await closeIfStarted(reference);
  });

  it('sees the same exchanges and results at every step', () => {
    expect(observed.reference.map((o) => o.step)).toEqual(observed.real.map((o) => o.step));
    for (const [i, r] of observed.real.entries()) {
      const ref = observed.reference[i]!;
      expect.soft(ref.result, `${r.step}: result`).toEqual(r.result);
      // Requests sent together may finish in any order: each is matched with its namesake.
      const real = byRequest(r.exchanges);
      const model = byRequest(ref.exchanges);
      expect.soft([...model.keys()].sort(), `${r.step}: requests`).toEqual([...real.keys()].sort());
      for (const [key, x] of real) expect.soft(tiesInTextOrder(model.get(key)), `${r.step}: ${key}`).toEqual(tiesInTextOrder(x));
    }
  });
});
