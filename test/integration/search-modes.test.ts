/**
 * `searchMode` on Agent Memory Server: what each mode sends (reference server), what the real
 * server finds with it (`npm run test:real`), and that no question, however phrased, reaches the
 * server's Redis in a shape that crashes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keywordQuery } from '../../src/codec/keyword-query.js';
import { FUSED_ALPHA, fuseSearches } from '../../src/codec/search-fusion.js';
import { MEMORIES_HEADING } from '../../src/codec/prompt.js';
import { REAL_AMS, backendTarget, type Target } from '../helpers/targets.js';
import { alive } from '../helpers/alive.js';
import { closeIfStarted } from '../helpers/started.js';
import type { RealAgentMemoryServer } from '../../src/testing/index.js';

let seq = 0;
const uid = (p: string) => `${p}-${process.pid}-${++seq}`;

/** A question whose keyword query, sent as it is, crashed RediSearch 2.10.5 (two stopwords first). */
const CRASHING = 'Is it likely that Nate has friends besides Joanna?';

describe('keywordQuery', () => {
  it('keeps the words a keyword search can match: lower case, no punctuation, no stopwords', () => {
    expect(keywordQuery(CRASHING)).toBe('likely nate has friends besides joanna');
    expect(keywordQuery('Where does Zoë swim — the lake, or the 50m pool?')).toBe('where does zoë swim lake 50m pool');
    expect(keywordQuery('Is it?! ...')).toBeUndefined();
  });
});

describe('searchMode on Agent Memory Server', () => {
  let target: Target;
  beforeAll(async () => {
    target = await backendTarget('opensource-agent-memory', { viaPrism: false });
  });
  afterAll(() => closeIfStarted(target));

  /** The bodies a memory service sends to one path (by default its searches), by recording its requests. */
  const sent = (overrides: Record<string, unknown>, path = '/v1/long-term-memory/search') => {
    const bodies: Record<string, unknown>[] = [];
    const memory = target.memory!({
      ...overrides,
      fetch: async (input: Request | string | URL, init?: RequestInit) => {
        const req = input instanceof Request ? input : new Request(input, init);
        if (new URL(req.url).pathname === path) bodies.push((await req.clone().json()) as Record<string, unknown>);
        return fetch(req);
      },
    });
    return { memory, bodies };
  };

  it.each([{}, { searchMode: 'fused' }] as const)(
    '%o (fused) with a similarity threshold sends one search by meaning, five times as deep as the answer, with the vectors’ threshold',
    async (overrides) => {
      const { memory, bodies } = sent({ ...overrides, similarityThreshold: 0.2, searchTopK: 7, hybridAlpha: 0.4 });
      const app = uid('app');
      await memory.searchMemory({ appName: app, userId: 'dana', query: CRASHING });
      expect(bodies).toEqual([
        expect.objectContaining({
          text: CRASHING,
          search_mode: 'semantic',
          distance_threshold: expect.closeTo(0.8, 6),
          user_id: { eq: 'dana' },
          namespace: { eq: app },
          limit: 35,
        }),
      ]);
      expect(bodies[0]).not.toHaveProperty('hybrid_alpha');
    },
  );

  it('fused sends a search by meaning five times as deep as the answer and a keyword search as deep as the answer, side by side', async () => {
    let inFlight = 0;
    let most = 0;
    const bodies: Record<string, unknown>[] = [];
    const memory = target.memory!({
      searchTopK: 7,
      fetch: async (input: Request | string | URL, init?: RequestInit) => {
        const req = input instanceof Request ? input : new Request(input, init);
        if (new URL(req.url).pathname !== '/v1/long-term-memory/search') return fetch(req);
        bodies.push((await req.clone().json()) as Record<string, unknown>);
        most = Math.max(most, ++inFlight);
        try {
          return await fetch(req);
        } finally {
          inFlight--;
        }
      },
    });
    const app = uid('app');
    await memory.searchMemory({ appName: app, userId: 'dana', query: CRASHING });
    const filters = { user_id: { eq: 'dana' }, namespace: { eq: app } };
    expect(bodies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ text: CRASHING, search_mode: 'semantic', limit: 35, ...filters }),
        // The keyword half gets the question's matchable words: never the shape that crashes Redis.
        expect.objectContaining({ text: 'likely nate has friends besides joanna', search_mode: 'keyword', limit: 7, recency_boost: false, ...filters }),
      ]),
    );
    expect(bodies).toHaveLength(2);
    expect(most).toBe(2);
  });

  it('fused answers the best of a deeper vector search and a keyword search, blended with the question’s words', async () => {
    const app = uid('app');
    // The reference server's vectors match word stems ("friend", "beside"); the question's words are
    // "friends" and "besides". Only the long record shares one of its words as written: Joanna.
    const texts = [
      'My friend sat beside me',
      'A friend beside a friend',
      'Friend, friend, beside the lake',
      'Beside the friend stood another friend',
      'My friend is beside the door',
      'Dinner with Joanna and the whole team from work at the new place downtown on Friday',
      'Rain again, the garden is happy',
      'Swimming in the lake is cold in May',
    ];
    await target.memory!().addMemory({ appName: app, userId: 'nate', memories: texts.map((text) => ({ content: { parts: [{ text }] } })) });
    await target.settle();
    const search = async (overrides: Record<string, unknown>, limit: number) =>
      (await target.memory!(overrides).searchMemory({ appName: app, userId: 'nate', query: CRASHING, limit })).memories.map((m) => ({
        id: m.id,
        text: m.content.parts?.[0]?.text ?? '',
        similarity: m.score,
      }));
    const byMeaning = await search({ searchMode: 'semantic' }, 20);
    // The keyword half ranks by the words alone: without the server's recency re-ranking.
    const byWords = (await search({ searchMode: 'keyword', recencyBoost: false }, 4)).map((m) => ({ ...m, similarity: undefined }));
    const fused = await search({}, 4);
    expect(fused.map((m) => m.id)).toEqual(fuseSearches(CRASHING, byMeaning, byWords, 4, FUSED_ALPHA, (m) => m).map((m) => m.id));
    // The record that names Joanna: below the vector search's top 4, in the fused top 4.
    expect(byMeaning.slice(0, 4).map((m) => m.text)).not.toContain(texts[5]);
    expect(fused.map((m) => m.text)).toContain(texts[5]);
    // Scores stay the vector similarity, whatever a record's place.
    for (const m of fused) expect(m.similarity).toBe(byMeaning.find((b) => b.id === m.id)!.similarity);

    // The memory prompt's memories are the same answer: its search, as deep, fused here with a keyword search.
    const { memory, bodies: prompts } = sent({}, '/v1/memory/prompt');
    const prompt = await memory.memoryPrompt({ appName: app, userId: 'nate', query: CRASHING, limit: 4 });
    expect(prompts).toEqual([expect.objectContaining({ long_term_search: expect.objectContaining({ text: CRASHING, search_mode: 'semantic', limit: 20 }) })]);
    const memoriesBlock = prompt.messages.map((m) => m.content.text).find((t) => t.startsWith(MEMORIES_HEADING));
    expect(
      memoriesBlock
        ?.split('\n')
        .slice(1)
        .map((line) => /^ ?- (.*) \(ID: /.exec(line)?.[1]),
    ).toEqual(fused.map((m) => m.text));
  });

  it.each([
    [{ searchMode: 'semantic' }, { text: CRASHING, search_mode: 'semantic', distance_threshold: expect.closeTo(0.8, 6) }],
    [{ searchMode: 'keyword' }, { text: 'likely nate has friends besides joanna', search_mode: 'keyword' }],
    [
      { searchMode: 'hybrid', hybridAlpha: 0.4 },
      { text: 'likely nate has friends besides joanna', search_mode: 'hybrid', hybrid_alpha: 0.4 },
    ],
  ] as const)('%o sends %o, filtered on the user and namespace', async (overrides, expected) => {
    const { memory, bodies } = sent({ ...overrides, similarityThreshold: 0.2 });
    const app = uid('app');
    await memory.searchMemory({ appName: app, userId: 'dana', query: CRASHING });
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toMatchObject({ ...expected, user_id: { eq: 'dana' }, namespace: { eq: app } });
    // The vectors' threshold goes with semantic searches only.
    if (expected.search_mode !== 'semantic') expect(bodies[0]).not.toHaveProperty('distance_threshold');
  });

  it.each(['keyword', 'fused'] as const)('in %s mode searches a question with no matchable word by meaning alone', async (searchMode) => {
    const { memory, bodies } = sent({ searchMode });
    await memory.searchMemory({ appName: uid('app'), userId: 'dana', query: 'Is it?' });
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toMatchObject({ text: 'Is it?', search_mode: 'semantic' });
  });

  it.each(['fused', 'semantic', 'keyword', 'hybrid'] as const)(
    'finds the memory that answers in %s mode, and the crashing question leaves Redis up',
    async (searchMode) => {
      const memory = target.memory!({ searchMode });
      const app = uid('app');
      await memory.addMemory({
        appName: app,
        userId: 'nate',
        memories: [
          { content: { parts: [{ text: 'Nate has friends besides Joanna: he plays chess with Sam every week' }] } },
          { content: { parts: [{ text: 'The pool closes at nine on Sundays' }] } },
        ],
      });
      await target.settle();
      const found = (await memory.searchMemory({ appName: app, userId: 'nate', query: CRASHING })).memories.map((m) => m.content.parts?.[0]?.text);
      expect(found).toContain('Nate has friends besides Joanna: he plays chess with Sam every week');
      // A keyword search finds only records that share a word with the question.
      if (searchMode === 'keyword') expect(found).toEqual(['Nate has friends besides Joanna: he plays chess with Sam every week']);
      if (REAL_AMS) expect(alive((target.server as RealAgentMemoryServer).parts().redis)).toBe(true);
    },
  );
});
