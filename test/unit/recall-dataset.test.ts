import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { datasetSchema } from '../../bench/recall/dataset.js';

/** The recall benchmark's committed dataset: well formed, answerable, and what its generator writes. */
describe('bench/recall/dataset.json', () => {
  it('holds labelled questions whose answer turns are turns of their own conversation, with unique texts', async () => {
    const dataset = datasetSchema.parse(JSON.parse(await readFile('bench/recall/dataset.json', 'utf8')));
    let questions = 0;
    for (const c of dataset.conversations) {
      const turns = c.sessions.flatMap((s) => s.turns);
      const ids = new Set(turns.map((t) => t.id));
      // Answers are matched by text (InMemoryMemoryService and the Python client return no ids).
      expect(new Set(turns.map((t) => t.text)).size).toBe(turns.length);
      for (const q of c.questions) {
        questions++;
        for (const id of q.answerTurns) expect(ids.has(id), `${q.id} answers with ${id}`).toBe(true);
      }
      expect(c.sessions.map((s) => s.date)).toEqual([...c.sessions.map((s) => s.date)].sort());
    }
    expect(questions).toBeGreaterThanOrEqual(100);
    expect(new Set(dataset.conversations.flatMap((c) => c.questions.map((q) => q.category)))).toEqual(
      new Set(['single-hop', 'multi-hop', 'temporal', 'open-domain']),
    );
  });

  it('is what bench/recall/make-dataset.ts writes (seeded)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/recall/make-dataset.ts', '--check']);
    expect(stdout).toContain('is what make-dataset.ts writes');
  }, 60_000);
});
