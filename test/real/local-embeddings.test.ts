import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLongTermMemoryService } from '../../src/index.js';
import { startRealAgentMemoryServer, type RealAgentMemoryServer } from '../../src/testing/index.js';
import { ensureLocalEmbeddingsInstalled, startLocalEmbeddings, type LocalEmbeddings } from '../../src/testing/local-embeddings/index.js';
import { ensureRealServerInstalled } from '../../src/testing/real-agent-memory-server/index.js';
import { closeIfStarted } from '../helpers/started.js';
import { FUSED_ALPHA, fuseByWords } from '../../src/codec/search-fusion.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * all-MiniLM-L6-v2 as computed here (numpy, from the pinned wheel) against vectors published by
 * others who ran the model with its own runtimes:
 * - "hello world", first five dimensions: [-0.034478, 0.03102, 0.00673, 0.02611, -0.039362]
 *   (qdrant/fastembed's tests/test_text_onnx_embeddings.py, ONNX Runtime, checked to 1e-3);
 * - cosine similarities of "The weather is lovely today.", "It's so sunny outside!" and "He drove
 *   to the stadium.": 0.6660, 0.1046, 0.1411 (sentence-transformers' README, PyTorch).
 */
describe('local embeddings: all-MiniLM-L6-v2 as its published runs compute it', () => {
  let local: LocalEmbeddings | undefined;
  let runDir: string;
  beforeAll(async () => {
    const install = await ensureRealServerInstalled();
    runDir = mkdtempSync(path.join(tmpdir(), 'adk-redis-embed-'));
    local = await startLocalEmbeddings(await ensureLocalEmbeddingsInstalled({ harnessDir: install.harnessDir, python: install.python }), {
      python: install.python,
      cwd: runDir,
    });
  });
  afterAll(async () => {
    await local?.child.stop();
    rmSync(runDir, { recursive: true, force: true });
  });

  const embed = async (input: string[]) => {
    const r = await fetch(`${local!.url}/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'x', input }),
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { data: { index: number; embedding: number[] }[] };
    return body.data.sort((a, b) => a.index - b.index).map((d) => d.embedding);
  };
  const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

  it('matches the published vector of "hello world" and is a unit vector of 384 dimensions', async () => {
    const [v] = await embed(['hello world']);
    expect(v).toHaveLength(384);
    const published = [-0.034478, 0.03102, 0.00673, 0.02611, -0.039362];
    published.forEach((x, i) => expect(Math.abs(v![i]! - x)).toBeLessThan(1e-3));
    expect(Math.hypot(...v!)).toBeCloseTo(1, 5);
  });

  it('matches the published similarities, and a batch gives each text the vector it gets alone', async () => {
    const texts = ['The weather is lovely today.', "It's so sunny outside!", 'He drove to the stadium.'];
    const batch = await embed(texts);
    expect(cosine(batch[0]!, batch[1]!)).toBeCloseTo(0.666, 3);
    expect(cosine(batch[0]!, batch[2]!)).toBeCloseTo(0.1046, 3);
    expect(cosine(batch[1]!, batch[2]!)).toBeCloseTo(0.1411, 3);
    const [alone] = await embed([texts[2]!]);
    alone!.forEach((x, i) => expect(Math.abs(x - batch[2]![i]!)).toBeLessThan(1e-5));
  });

  it('answers a burst of requests sent at once, every one of them: a refused one is records the server drops', async () => {
    // The real server indexing a burst of writes sends this many at once. With socketserver's
    // listen backlog of 5, about two in five of these were reset.
    const texts = Array.from({ length: 400 }, (_, i) => `turn ${i} of a conversation`);
    const outcomes = await Promise.allSettled(texts.map((t) => embed([t])));
    expect(outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []))).toEqual([]);
    expect(outcomes.every((o) => o.status === 'fulfilled' && o.value[0]!.length === 384)).toBe(true);
  });
});

describe('the real server with local embeddings finds a memory by meaning alone', () => {
  let server: RealAgentMemoryServer;
  beforeAll(async () => {
    server = await startRealAgentMemoryServer({ embeddings: 'local' });
  });
  afterAll(() => closeIfStarted(server));

  it('ranks the record that shares no word with the question first', async () => {
    expect(server.versions.embeddings).toBe('all-MiniLM-L6-v2');
    const memory = new RedisLongTermMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url });
    // The others share the question's one word that is not a stopword; hashed word vectors rank them first.
    const texts = ['Sunshine all afternoon, not a cloud in the sky', 'I like what you did with the piano', 'I would like a cup of tea'];
    await memory.addMemory({ appName: 'meaning', userId: 'u', memories: texts.map((text) => ({ content: { role: 'user', parts: [{ text }] } })) });
    await server.settled();
    const { memories } = await memory.searchMemory({ appName: 'meaning', userId: 'u', query: 'What is the weather like?' });
    expect(memories[0]?.content.parts?.[0]?.text).toBe(texts[0]);
  });

  it('fused search answers the best of one deeper vector search, reordered by the question’s words too', async () => {
    const app = 'fusion';
    // Without the server's recency re-ranking: each search refreshes last_accessed, which would reorder the next.
    const connection = { backend: 'opensource-agent-memory' as const, apiBaseUrl: server.url, recencyBoost: false };
    const texts = [
      'The animal doctor said the dog needs to lose two kilos',
      'Biscuit: reorder 3 bags, code BSC-7',
      'The vet clinic moved next to the bakery',
      'Puppies need a lot of sleep',
      'What did you say about the meeting?',
      'My dog loves the park by the river',
    ];
    await new RedisLongTermMemoryService(connection).addMemory({
      appName: app,
      userId: 'u',
      memories: texts.map((text) => ({ content: { role: 'user', parts: [{ text }] } })),
    });
    await server.settled();
    const found = async (searchMode: 'semantic' | 'fused', limit: number) =>
      (
        await new RedisLongTermMemoryService({ ...connection, searchMode }).searchMemory({
          appName: app,
          userId: 'u',
          query: 'What did the vet say about Biscuit?',
          limit,
        })
      ).memories.map((m) => ({ id: m.id, text: m.content.parts?.[0]?.text ?? '', similarity: m.score! }));
    // The fused answer of 2 is chosen from the vector search's best 10 (all six here).
    const [byMeaning, fused] = [await found('semantic', 10), await found('fused', 2)];
    expect(byMeaning).toHaveLength(texts.length);
    expect(fused).toEqual(fuseByWords('What did the vet say about Biscuit?', byMeaning, 2, FUSED_ALPHA, (m) => m));
    // Reordered by the question's words too, it brings in the record that names Biscuit, which the
    // vector search's top 2 lacks, beside the vector search's best.
    expect(byMeaning.slice(0, 2).map((m) => m.text)).not.toContain('Biscuit: reorder 3 bags, code BSC-7');
    expect(fused.map((m) => m.text).sort()).toEqual([byMeaning[0]!.text, 'Biscuit: reorder 3 bags, code BSC-7'].sort());
  });
});
