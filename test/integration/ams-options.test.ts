import { InMemorySessionService, createEvent, createEventActions, type Event } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { amsKeys } from '../../src/backends/ams-sessions.js';
import { eventually } from '../helpers/eventually.js';
import { backendTarget, type Target } from '../helpers/targets.js';
import { closeIfStarted } from '../helpers/started.js';

let seq = 0;
const uid = (p: string) => `${p}-${process.pid}-${Date.now().toString(36)}-${++seq}`;
const say = (id: string, text: string, author = 'user'): Event =>
  createEvent({ id, invocationId: 'inv', author, timestamp: Date.now(), content: { role: author === 'user' ? 'user' : 'model', parts: [{ text }] } });
/** A tool result of 100 kB: past the journal's 64 KiB bound, so every such append closes a journal document. */
const page = (id: string) =>
  createEvent({
    id,
    invocationId: 'inv',
    author: 'coach',
    timestamp: Date.now(),
    content: {
      role: 'user',
      parts: [{ functionResponse: { id: `c-${id}`, name: 'fetch', response: { page: `${id} `.padEnd(100_000, 'words and more words ') } } }],
    },
  });

type Doc = {
  session_id: string;
  ttl_seconds: number | null;
  long_term_memory_strategy: { strategy: string; config: Record<string, unknown> };
  messages: unknown[];
};
type Hit = { id: string; text: string; dist: number; created_at: string; last_accessed: string; memory_type: string; user_id: string | null };

/**
 * The Agent Memory Server options the Python adk-redis offers, applied where the server reads them:
 * session expiry, the extraction strategy, and recency-aware search. On the reference server, and
 * on the real server v0.15.2 in `npm run test:real`.
 */
describe('Agent Memory Server options: session expiry, extraction strategy, recency', () => {
  let target: Target;
  const raw = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${target.directUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: (await res.json().catch(() => undefined)) as unknown };
  };
  const native = (app: string, user: string, session: string) => raw('GET', `/v1/working-memory/${session}?namespace=${app}&user_id=${user}`);
  const journalIds = async (app: string, user: string, session: string) =>
    (
      (
        await raw(
          'GET',
          `/v1/working-memory/?namespace=${amsKeys.journal({ namespace: app, appName: app, userId: user, sessionId: session }).namespace}&limit=100`,
        )
      ).json as { sessions: string[] }
    ).sessions;
  /**
   * The journal documents that are still there. The listing comes from the server's search index,
   * which keeps a key that has passed its TTL until Redis evicts it; a read of the key does not.
   */
  const liveJournalIds = async (app: string, user: string, session: string) => {
    const namespace = amsKeys.journal({ namespace: app, appName: app, userId: user, sessionId: session }).namespace;
    const ids = await journalIds(app, user, session);
    const live = await Promise.all(ids.map(async (id) => ((await raw('GET', `/v1/working-memory/${id}?namespace=${namespace}`)).status === 200 ? [id] : [])));
    return live.flat();
  };

  beforeAll(async () => {
    target = await backendTarget('opensource-agent-memory', { viaPrism: false });
  });
  afterAll(() => closeIfStarted(target));

  describe('sessionTtlSeconds', () => {
    it('expires the whole session T seconds after its last write: it reads as missing, and its id can be created afresh', async () => {
      const app = uid('ttl');
      const svc = target.service({ sessionTtlSeconds: 2 });
      const s = await svc.createSession({ appName: app, userId: 'u', sessionId: 's', state: { plan: 'old' } });
      await svc.appendEvent({ session: s, event: say('e1', 'first') });
      expect(((await native(app, 'u', 's')).json as Doc).ttl_seconds).toBe(2);
      // The server's own write-backs (promotion, extraction) are writes too: they refresh the TTL.
      await target.settle();
      await target.server!.runBackgroundTasks();
      // Watched through raw reads, which write nothing (a getSession can add to a journal: it
      // adopts messages another writer, here the server, put in the conversation).
      await eventually('the working memory has expired', async () => (await native(app, 'u', 's')).status === 404, { everyMs: 200 });
      expect(await svc.getSession({ appName: app, userId: 'u', sessionId: 's' })).toBeUndefined();
      // What was left beside it was deleted by that read: every journal document was sent before the
      // working memory's last write was stored, so each was written at least T ago by then.
      expect(await liveJournalIds(app, 'u', 's')).toEqual([]);
      const again = await svc.createSession({ appName: app, userId: 'u', sessionId: 's', state: { plan: 'new' } });
      expect(again.state).toEqual({ plan: 'new' });
      const read = await target.service().getSession({ appName: app, userId: 'u', sessionId: 's' });
      expect(read?.state).toEqual({ plan: 'new' });
      expect(read?.events).toEqual([]);
    }, 30_000);

    it('leaves nothing behind when nobody reads the expired session', async () => {
      const app = uid('ttl');
      const svc = target.service({ sessionTtlSeconds: 1 });
      const s = await svc.createSession({ appName: app, userId: 'u', sessionId: 's' });
      await svc.appendEvent({ session: s, event: page('p1') });
      expect((await journalIds(app, 'u', 's')).length).toBeGreaterThan(0);
      await target.settle();
      await target.server!.runBackgroundTasks();
      // Only raw listings, which touch nothing: the documents beside it expire on their own (2T).
      await eventually('the journal documents have expired', async () => (await liveJournalIds(app, 'u', 's')).length === 0, { everyMs: 200 });
      expect((await native(app, 'u', 's')).status).toBe(404);
    }, 30_000);

    it('keeps a session that is written to whole, every event and its initial state, long past T', async () => {
      const app = uid('ttl');
      const svc = target.service({ sessionTtlSeconds: 2 });
      const s = await svc.createSession({ appName: app, userId: 'u', sessionId: 's', state: { plan: 'base' } });
      const first = page('p0');
      await svc.appendEvent({ session: s, event: first });
      const ids = [first.id];
      // A canary written after the first append with the TTL of the documents beside the session
      // (2T): once it has expired, so would have every document written before it, unless carried
      // forward. Appends go on (each page closes a journal document) until the canary is gone.
      const canary = uid('canary');
      expect(
        (await raw('PUT', `/v1/working-memory/${canary}?namespace=${app}-canary`, { messages: [], namespace: `${app}-canary`, ttl_seconds: 4 })).status,
      ).toBe(200);
      const canaryAlive = async () => (await raw('GET', `/v1/working-memory/${canary}?namespace=${app}-canary`)).status === 200;
      for (let i = 1; await canaryAlive(); i++) {
        expect(i).toBeLessThan(200);
        const e = i % 2 ? say(`e${i}`, `step ${i}`) : page(`p${i}`);
        if (i === 3) e.actions = createEventActions({ stateDelta: { step: 3 } });
        await svc.appendEvent({ session: s, event: e });
        ids.push(e.id);
        // Paces the appends (a few polls of the canary), well inside T: the outcome does not
        // depend on this pace, only on the canary having expired before the read below.
        await eventually('the canary expired or a pause passed', async () => !(await canaryAlive()), { withinMs: 400, everyMs: 100 }).catch(() => undefined);
      }
      expect(ids.length).toBeGreaterThan(3);
      const read = (await target.service().getSession({ appName: app, userId: 'u', sessionId: 's' }))!;
      expect(read.events.map((e) => e.id)).toEqual(ids);
      expect(read.state).toEqual({ plan: 'base', step: 3 });
    }, 60_000);

    it('is not refreshed by reads: the server sets the TTL on writes only', async () => {
      const app = uid('ttl');
      const svc = target.service({ sessionTtlSeconds: 2 });
      const s = await svc.createSession({ appName: app, userId: 'u', sessionId: 's' });
      await svc.appendEvent({ session: s, event: say('e1', 'only') });
      // The server's own write-backs are writes (they refresh the TTL): let them finish first, so
      // that only reads follow.
      await target.settle();
      await target.server!.runBackgroundTasks();
      expect(await svc.getSession({ appName: app, userId: 'u', sessionId: 's' })).toBeDefined();
      // Read after read: were reads to refresh the TTL, the session would never expire.
      await eventually(
        'the session, read again and again, expires',
        async () => (await svc.getSession({ appName: app, userId: 'u', sessionId: 's' })) === undefined,
        { withinMs: 20_000, everyMs: 200 },
      );
    }, 30_000);
  });

  describe('extractionStrategy', () => {
    it('is written into every working memory of a session, where the server reads it', async () => {
      const app = uid('strategy');
      const svc = target.service({ extractionStrategy: 'preferences', extractionStrategyConfig: { max_items: 3 } });
      const s = await svc.createSession({ appName: app, userId: 'u', sessionId: 's' });
      expect(((await native(app, 'u', 's')).json as Doc).long_term_memory_strategy).toEqual({ strategy: 'preferences', config: { max_items: 3 } });
      await svc.appendEvent({ session: s, event: say('e1', 'I prefer trail runs') });
      expect(((await native(app, 'u', 's')).json as Doc).long_term_memory_strategy).toEqual({ strategy: 'preferences', config: { max_items: 3 } });
      // Without the option, the server's default.
      const plain = await target.service().createSession({ appName: app, userId: 'u', sessionId: 'plain' });
      await target.service().appendEvent({ session: plain, event: say('p1', 'hello') });
      expect(((await native(app, 'u', 'plain')).json as Doc).long_term_memory_strategy).toEqual({ strategy: 'discrete', config: {} });
    });

    it.each(['discrete', 'summary', 'preferences', undefined] as const)(
      'addSessionToMemory: the server extracts the message memories with the %s strategy (none without the option)',
      async (strategy) => {
        const app = uid('strategy');
        const tag = uid('zq').replace(/-/g, '');
        // The conversation comes from ADK's in-memory sessions, so no working memory of it exists
        // (whose own extraction would add memories of its own).
        const sessions = new InMemorySessionService();
        const memory = target.memory!(strategy ? { extractionStrategy: strategy } : {});
        const s = await sessions.createSession({ appName: app, userId: 'u', sessionId: 's' });
        for (const [i, text] of [`I love hill repeats ${tag}`, `My left knee is sore ${tag}`].entries())
          await sessions.appendEvent({ session: s, event: say(`e${i}`, text) });
        await memory.addSessionToMemory(s);
        // Extraction is the server's background work (a Docket task on the real server): run it to the end.
        await target.settle();
        await target.server!.runBackgroundTasks();
        const found = (await raw('POST', '/v1/long-term-memory/search', { text: tag, limit: 50, recency_boost: false })).json as { memories: Hit[] };
        const extracted = found.memories.filter((m) => m.text.includes(tag) && m.memory_type !== 'message');
        const expected = strategy
          ? {
              discrete: [`I love hill repeats ${tag}`, `My left knee is sore ${tag}`],
              summary: [`Conversation summary: I love hill repeats ${tag}`, `Conversation summary: My left knee is sore ${tag}`],
              preferences: [`User preference: I love hill repeats ${tag}`],
            }[strategy]
          : [];
        // Distinct texts: v0.15.2 can extract one message twice (see docs/memory.md, extraction findings).
        const texts = [...new Set(extracted.map((m) => m.text))];
        // And with `discrete` besides: the index keeps no strategy, so the store-wide extraction a
        // write elsewhere can start reads these records as `discrete` if it reaches them before
        // their own extraction marks them (the test below shows both on a record of its own).
        const asDiscrete = strategy && strategy !== 'discrete' ? [`I love hill repeats ${tag}`, `My left knee is sore ${tag}`] : [];
        expect(texts.filter((t) => !asDiscrete.includes(t)).sort()).toEqual(expected.sort());
      },
      60_000,
    );

    it('a record keeps no strategy on the server: it reads back as discrete, and the store-wide extraction any later write starts extracts it so', async () => {
      const tag = uid('zq').replace(/-/g, '');
      const id = `rec${tag}`;
      type Stored = Hit & { discrete_memory_extracted: string; extraction_strategy: string; extraction_strategy_config: Record<string, unknown> };
      const mine = async () =>
        ((await raw('POST', '/v1/long-term-memory/search', { text: tag, limit: 50, recency_boost: false })).json as { memories: Stored[] }).memories.filter(
          (m) => m.text.includes(tag),
        );
      const write = async (memory: Record<string, unknown>) => {
        expect((await raw('POST', '/v1/long-term-memory/', { memories: [memory], deduplicate: false })).status).toBe(200);
        await target.settle();
        await target.server!.runBackgroundTasks();
      };
      // `custom` without its `custom_prompt`: the extraction this write starts fails as a whole,
      // so the record stays unextracted (the package refuses such a config before sending it).
      await write({
        id,
        text: `user: I love hill repeats ${tag}`,
        user_id: 'u',
        namespace: uid('strategy'),
        memory_type: 'message',
        discrete_memory_extracted: 'f',
        extraction_strategy: 'custom',
        extraction_strategy_config: {},
      });
      const before = await mine();
      expect(before.map((m) => [m.id, m.discrete_memory_extracted, m.extraction_strategy, m.extraction_strategy_config])).toEqual([[id, 'f', 'discrete', {}]]);
      // Another user's write, of nothing to extract: its extraction takes every unextracted message
      // record in the store, read from the index, and so through `discrete`.
      await write({ id: uid('other').replace(/-/g, ''), text: 'a note of someone else', user_id: 'someone-else', namespace: uid('other') });
      const after = await mine();
      expect(after.find((m) => m.id === id)?.discrete_memory_extracted).toBe('t');
      expect(after.filter((m) => m.id !== id).map((m) => m.text)).toEqual([`I love hill repeats ${tag}`]);
    }, 60_000);
  });

  describe('recency', () => {
    /** The server's re-ranking formula (utils/recency.py, v0.15.2). */
    function combined(m: Hit, now: number, p: { sw: number; rw: number; fw: number; nw: number; hlAccess: number; hlCreated: number }) {
      const days = (iso: string) => Math.max((now - Date.parse(iso)) / 86_400_000, 0);
      const recency = p.fw * Math.exp((-Math.LN2 / p.hlAccess) * days(m.last_accessed)) + p.nw * Math.exp((-Math.LN2 / p.hlCreated) * days(m.created_at));
      return p.sw * (1 - m.dist) + p.rw * Math.min(Math.max(recency, 0), 1);
    }

    it("orders results as the server's formula says with the weights given, and by similarity with recencyBoost false", async () => {
      const app = uid('recency');
      const user = 'runner';
      const old = new Date(Date.now() - 400 * 86_400_000).toISOString();
      const query = 'The athlete runs hill repeats every Tuesday morning';
      await raw('POST', '/v1/long-term-memory/', {
        deduplicate: false,
        memories: [
          { id: uid('old'), text: query, user_id: user, namespace: app, memory_type: 'semantic', created_at: old, last_accessed: old, updated_at: old },
          { id: uid('new'), text: 'Tuesday mornings are for hills', user_id: user, namespace: app, memory_type: 'semantic' },
        ],
      });
      await target.settle();
      const byText = (hits: { content: { parts?: { text?: string }[] } }[]) => hits.map((h) => h.content.parts?.[0]?.text);
      const plain = await target.memory!({ recencyBoost: false }).searchMemory({ appName: app, userId: user, query });
      expect(byText(plain.memories)).toEqual([query, 'Tuesday mornings are for hills']);

      const weights = {
        recencyBoost: true,
        recencySemanticWeight: 0.3,
        recencyRecencyWeight: 0.7,
        recencyFreshnessWeight: 0.5,
        recencyNoveltyWeight: 0.5,
        recencyHalfLifeLastAccessDays: 5,
        recencyHalfLifeCreatedDays: 20,
      };
      const fields = (
        (await raw('POST', '/v1/long-term-memory/search', { text: query, user_id: { eq: user }, namespace: { eq: app }, limit: 10, recency_boost: false }))
          .json as { memories: Hit[] }
      ).memories;
      const now = Date.now();
      const p = { sw: 0.3, rw: 0.7, fw: 0.5, nw: 0.5, hlAccess: 5, hlCreated: 20 };
      const expected = [...fields].sort((a, b) => combined(b, now, p) - combined(a, now, p)).map((m) => m.text);
      expect(expected).toEqual(['Tuesday mornings are for hills', query]);
      const boosted = await target.memory!(weights).searchMemory({ appName: app, userId: user, query });
      expect(byText(boosted.memories)).toEqual(expected);
    });
  });

  describe("the memory service's other options", () => {
    it('defaultMemoryType and defaultTopics apply to memories written without them', async () => {
      const app = uid('defaults');
      const memory = target.memory!({ defaultMemoryType: 'episodic', defaultTopics: ['training'] });
      await memory.addMemory({
        appName: app,
        userId: 'u',
        memories: [
          { content: { parts: [{ text: 'Ran the Oslo half marathon' }] } },
          { content: { parts: [{ text: 'Prefers mornings' }] }, memoryType: 'semantic', topics: ['schedule'] },
        ],
      });
      await target.settle();
      const found = (await memory.searchMemory({ appName: app, userId: 'u', query: 'Oslo half marathon mornings' })).memories;
      const byText = Object.fromEntries(found.map((m) => [m.content.parts?.[0]?.text, [m.memoryType, m.topics]]));
      expect(byText).toEqual({ 'Ran the Oslo half marathon': ['episodic', ['training']], 'Prefers mornings': ['semantic', ['schedule']] });
    });

    it("modelName and contextWindowMax reach the memory prompt's working memory request", async () => {
      const app = uid('window');
      const bodies: unknown[] = [];
      const capture = async (req: Request) => {
        if (req.url.includes('/v1/memory/prompt')) bodies.push(await req.clone().json());
        return fetch(req);
      };
      const sessions = target.service();
      const s = await sessions.createSession({ appName: app, userId: 'u', sessionId: 's' });
      await sessions.appendEvent({ session: s, event: say('e1', 'I run on Tuesdays') });
      const memory = target.memory!({ contextWindowMax: 4000, modelName: 'gpt-4o-mini', fetch: capture });
      const prompt = await memory.memoryPrompt({ appName: app, userId: 'u', query: 'When do I run?', session: s });
      expect(JSON.stringify(prompt.messages)).toContain('I run on Tuesdays');
      expect(bodies).toEqual([
        expect.objectContaining({ session: expect.objectContaining({ session_id: 's', context_window_max: 4000, model_name: 'gpt-4o-mini' }) }),
      ]);
    });
  });

  it("serverExtraction: false writes this package's messages marked extracted and leaves another client's as they are; by default they are marked not yet", async () => {
    const markers = async (app: string, session: string) =>
      Object.fromEntries(
        ((await native(app, 'u', session)).json as { messages: { id: string; discrete_memory_extracted: string }[] }).messages.map((m) => [
          m.id,
          m.discrete_memory_extracted,
        ]),
      );
    for (const serverExtraction of [false, undefined]) {
      const app = uid('extraction');
      const svc = target.service(serverExtraction === undefined ? {} : { serverExtraction });
      const session = await svc.createSession({ appName: app, userId: 'u', sessionId: 's' });
      await svc.appendEvent({ session, event: say('q', 'Log my run.') });
      // Another client's message, as it wrote it.
      const doc = (await native(app, 'u', 's')).json as { messages: unknown[] } & Record<string, unknown>;
      const { session_id: _s, context_percentage_total_used: _a, context_percentage_until_summarization: _b, ...body } = doc;
      const theirs = { id: 'theirs', role: 'user', content: 'From another client.', created_at: new Date().toISOString(), discrete_memory_extracted: 'f' };
      expect((await raw('PUT', '/v1/working-memory/s', { ...body, messages: [...doc.messages, theirs] })).status).toBe(200);
      await svc.appendEvent({ session, event: say('a', 'Logged.', 'coach') });
      const mine = serverExtraction === false ? 't' : 'f';
      expect(await markers(app, 's')).toEqual({ q: mine, theirs: 'f', a: mine });
    }
  });
});
