/**
 * Agent Memory Server's compaction (every 10 minutes in its task worker, or
 * `POST /v1/long-term-memory/compact`) merges a user's records within cosine distance 0.2 of each
 * other in a namespace into one new record (a new id, text written by the model, the union of the
 * topics) and deletes the originals, whatever `deduplicate: false` said when they were written. What
 * that does to this package's records, and what the package still keeps: no app sees a record
 * that merged another app's, and forgetUser still removes everything of the user.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLongTermMemoryService } from '../../src/index.js';
import { appTopic } from '../../src/codec/memory.js';
import { createAgentMemoryServerClient } from '../../src/clients/agent-memory-server.js';
import { startRealAgentMemoryServer, type RealAgentMemoryServer } from '../../src/testing/index.js';
import { closeIfStarted } from '../helpers/started.js';

describe('the real server compacts near-duplicate records', () => {
  let server: RealAgentMemoryServer;
  beforeAll(async () => {
    server = await startRealAgentMemoryServer({ backgroundTasks: 'auto' });
  });
  afterAll(() => closeIfStarted(server));

  it('replaces the records of events with a merged one, and shows no app a record merged from another app', async () => {
    const namespace = 'shared-compaction';
    const connection = { backend: 'opensource-agent-memory' as const, apiBaseUrl: server.url, defaultNamespace: namespace, recencyBoost: false };
    const alpha = new RedisLongTermMemoryService(connection);
    const beta = new RedisLongTermMemoryService(connection);
    const said = (text: string) => ({ content: { role: 'user', parts: [{ text }] } });
    const { ids: alphaIds } = await alpha.addMemory({ appName: 'alpha', userId: 'u', memories: [said('I love hiking in the Alps every summer')] });
    const { ids: betaIds } = await beta.addMemory({ appName: 'beta', userId: 'u', memories: [said('I love hiking in the Alps every summer!')] });
    await server.settled();
    const client = createAgentMemoryServerClient({ apiBaseUrl: server.url });
    const all = async () =>
      (await client.searchLongTermMemory({ user_id: { eq: 'u' }, namespace: { eq: namespace }, limit: 100, recency_boost: false })).memories;
    expect((await all()).map((r) => r.id).sort()).toEqual([...alphaIds, ...betaIds].sort());

    const compacted = await fetch(`${server.url}/v1/long-term-memory/compact?namespace=${namespace}&user_id=u`, { method: 'POST' });
    expect(compacted.status).toBe(200);
    await server.settled();
    // The server's doing: both records gone, one new record with both apps' topics.
    const after = await all();
    expect(after).toHaveLength(1);
    expect([...alphaIds, ...betaIds]).not.toContain(after[0]!.id);
    expect(after[0]!.topics).toEqual(expect.arrayContaining([appTopic('alpha'), appTopic('beta')]));
    // The package's promise: neither app is shown what merged the other's memory.
    for (const [service, appName] of [
      [alpha, 'alpha'],
      [beta, 'beta'],
    ] as const) {
      expect((await service.searchMemory({ appName, userId: 'u', query: 'hiking in the Alps' })).memories).toEqual([]);
      expect(await service.getMemory({ appName, userId: 'u', id: after[0]!.id })).toBeUndefined();
    }
    // And forgetting the user still removes it.
    await alpha.forgetUser({ appName: 'alpha', userId: 'u' });
    expect(await all()).toEqual([]);
  });
});
