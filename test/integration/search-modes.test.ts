/**
 * `searchMode` on Agent Memory Server: what each mode sends (reference server), what the real
 * server finds with it (`npm run test:real`), and that no question, however phrased, reaches the
 * server's Redis in a shape that crashes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keywordQuery } from '../../src/codec/keyword-query.js';
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

  /** The search bodies a memory service sends, by recording its requests. */
  const sent = (overrides: Record<string, unknown>) => {
    const bodies: Record<string, unknown>[] = [];
    const memory = target.memory!({
      ...overrides,
      fetch: async (input: Request | string | URL, init?: RequestInit) => {
        const req = input instanceof Request ? input : new Request(input, init);
        if (new URL(req.url).pathname === '/v1/long-term-memory/search') bodies.push((await req.clone().json()) as Record<string, unknown>);
        return fetch(req);
      },
    });
    return { memory, bodies };
  };

  it.each([{}, { searchMode: 'fused' }] as const)(
    '%o (fused) sends two searches at once: the question by meaning, its matchable words in hybrid',
    async (overrides) => {
      const { memory, bodies } = sent({ ...overrides, similarityThreshold: 0.2, searchTopK: 7, hybridAlpha: 0.4 });
      const app = uid('app');
      await memory.searchMemory({ appName: app, userId: 'dana', query: CRASHING });
      const filters = { user_id: { eq: 'dana' }, namespace: { eq: app }, limit: 7 };
      expect(bodies).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ text: CRASHING, search_mode: 'semantic', distance_threshold: expect.closeTo(0.8, 6), ...filters }),
          expect.objectContaining({ text: 'likely nate has friends besides joanna', search_mode: 'hybrid', hybrid_alpha: 0.4, ...filters }),
        ]),
      );
      expect(bodies).toHaveLength(2);
      expect(bodies.find((b) => b.search_mode === 'hybrid')).not.toHaveProperty('distance_threshold');
    },
  );

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
