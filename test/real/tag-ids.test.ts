/**
 * User ids and namespaces the real server's TAG queries cannot take as they are. RedisVL escapes
 * RediSearch's query syntax in a TAG value but not `|` (RediSearch's "or" inside a TAG query), `?`,
 * `` ` `` nor ASCII control characters: a listing or search for user `bob|eve` is one for `bob` or
 * `eve`, and one for `a?b` or `t<TAB>x` finds nothing; a listing for the id `_` alone finds
 * nothing, and a search by it fails (500). Shown here on the server itself (what the
 * reference server models, and is checked against here), then this package's answer: such ids are stored percent-escaped, and
 * their sessions are listed and their memories found (generated ids found the first of these,
 * test/properties/isolation.property.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLongTermMemoryService, RedisSessionMemoryService } from '../../src/index.js';
import { createAgentMemoryServerClient } from '../../src/clients/agent-memory-server.js';
import { startRealAgentMemoryServer, startReferenceServer, type RealAgentMemoryServer, type ReferenceServer } from '../../src/testing/index.js';
import { closeIfStarted } from '../helpers/started.js';

/** Characters RedisVL leaves unescaped in a TAG query, and some it handles, as controls. */
const UNESCAPED = ['|', '?', '`', '\t', '\n', '\r', '\u0000', '\u0001', '\u001f', '\u007f'];
const HANDLED = [',', ' ', '*', '{', '}', '\\', '-', '%', 'ü', '\u00a0', '😀'];

describe('ids the real server cannot find by TAG as they are', () => {
  let server: RealAgentMemoryServer;
  let reference: ReferenceServer;
  beforeAll(async () => {
    [server, reference] = await Promise.all([startRealAgentMemoryServer({}), startReferenceServer({ backend: 'opensource-agent-memory' })]);
  });
  afterAll(() => Promise.all([closeIfStarted(server), closeIfStarted(reference)]));

  it.each(['real', 'reference'] as const)(
    'the %s server: a TAG query for bob|eve is one for bob or eve; a?b, a control character and _ find nothing (a search by _ fails)',
    async (which) => {
      const target = which === 'real' ? server : reference;
      const client = createAgentMemoryServerClient({ apiBaseUrl: target.url });
      const namespace = 'raw-tags';
      const users = ['bob', 'eve', 'bob|eve', 'a?b', 'a', 'b', 't\tx', 't', '_', '__'];
      await client.createLongTermMemories({
        memories: users.map((user_id, i) => ({ id: `raw-${i}`, text: `zebra ${i}`, user_id, namespace, memory_type: 'message' as const })),
        deduplicate: false,
      });
      for (const [i, user_id] of users.entries()) {
        await client.putWorkingMemory(`raw-session-${i}`, { messages: [], memories: [], user_id, namespace });
      }
      await target.settled();
      const found = async (user_id: string) =>
        (await client.searchLongTermMemory({ text: 'zebra', user_id: { eq: user_id }, namespace: { eq: namespace }, limit: 20, recency_boost: false })).memories
          .map((r) => r.user_id)
          .sort();
      const listed = async (user_id: string) =>
        (await client.listSessions({ user_id, namespace, limit: 100 })).sessions.map((id) => users[Number(id.slice('raw-session-'.length))]).sort();
      expect(await found('bob|eve')).toEqual(['bob', 'eve']);
      expect(await listed('bob|eve')).toEqual(['bob', 'eve']);
      for (const user of ['a?b', 't\tx']) {
        expect(await found(user), JSON.stringify(user)).toEqual([]);
        expect(await listed(user), JSON.stringify(user)).toEqual([]);
      }
      // `_` alone: listed nowhere, and a search by it is an error of the server's Redis.
      expect(await listed('_')).toEqual([]);
      await expect(found('_')).rejects.toMatchObject({ status: 500 });
      // Controls: the plain ids are found as themselves.
      expect(await found('bob')).toEqual(['bob']);
      expect(await listed('t')).toEqual(['t']);
      expect(await found('__')).toEqual(['__']);
    },
  );

  it.each(['user', 'namespace'] as const)('the package lists the sessions and finds the memories of every such %s id', async (where) => {
    const missed: string[] = [];
    const ids = [...[...UNESCAPED, ...HANDLED].map((c) => `bob${c}eve`), '_', '__'];
    for (const [i, id] of ids.entries()) {
      const userId = where === 'user' ? id : 'u';
      const connection = { backend: 'opensource-agent-memory' as const, apiBaseUrl: server.url, ...(where === 'namespace' ? { defaultNamespace: id } : {}) };
      const sessions = new RedisSessionMemoryService(connection);
      const memory = new RedisLongTermMemoryService(connection);
      const appName = `tags-${where}-${i}`;
      const session = await sessions.createSession({ appName, userId, state: { kept: id } });
      await memory.addMemory({ appName, userId, memories: [{ content: { role: 'user', parts: [{ text: `zebra crossing ${i}` }] } }] });
      await server.settled();
      const listed = (await sessions.listSessions({ appName, userId })).sessions.map((s) => s.id);
      const read = await sessions.getSession({ appName, userId, sessionId: session.id });
      const memories = (await memory.searchMemory({ appName, userId, query: 'zebra crossing' })).memories.map((m) => m.content.parts?.[0]?.text);
      if (!listed.includes(session.id)) missed.push(`${JSON.stringify(id)}: not listed`);
      if (read?.state.kept !== id) missed.push(`${JSON.stringify(id)}: not read back`);
      if (!memories.includes(`zebra crossing ${i}`)) missed.push(`${JSON.stringify(id)}: memory not found`);
      // And the plain neighbours do not see it (the server's "or" would have shown bob's to bob|eve).
      const neighbour = new RedisLongTermMemoryService({ ...connection, ...(where === 'namespace' ? { defaultNamespace: 'bob' } : {}) });
      expect((await neighbour.searchMemory({ appName, userId: where === 'user' ? 'bob' : 'u', query: 'zebra crossing' })).memories).toEqual([]);
    }
    expect(missed).toEqual([]);
  });
});
