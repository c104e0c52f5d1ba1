/**
 * An agent replica killed (SIGKILL) at every point of a Runner turn on Agent Memory Server: right
 * after the answer to each of the turn's requests arrives, before the replica acts on it. Whatever
 * it saw acknowledged is in the session as any instance reads it, and once another instance appends
 * to the session, the conversation (the working memory other clients read) holds a line for every
 * event of the record, in its order: lines an event left to a later write are not lost with the
 * replica that left them.
 */
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { createAgentMemoryServerClient } from '../../src/clients/agent-memory-server.js';
import { mapLimit } from '../../src/codec/concurrency.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { message } from '../../bench/events.js';
import type { ReplicaConfig } from '../helpers/agent-replica.js';
import { checkSession, startReplica } from '../helpers/replicas.js';
import { closeIfStarted } from '../helpers/started.js';
import { backendTarget, type Target } from '../helpers/targets.js';

const USER = 'user-k';

describe.each(['per-event', 'per-invocation'] as const)('a replica killed after each request of a Runner turn (conversationWrites %s)', (mode) => {
  let target: Target;
  beforeAll(async () => {
    target = await backendTarget('opensource-agent-memory', { viaPrism: false });
  });
  afterAll(() => closeIfStarted(target));

  const replicaConfig = (app: string, sessionId: string, extra: Partial<ReplicaConfig>): ReplicaConfig => ({
    service: target.config({ conversationWrites: mode, maxRetries: 0 }),
    memory: target.config(),
    app,
    user: USER,
    sessions: [sessionId],
    turns: 2,
    create: true,
    memoryEvery: 0,
    searchEvery: 0,
    oneInvocationPerTurn: true,
    ...extra,
  });

  it('loses no acknowledged event, and the next append of another instance brings every line into the conversation', async () => {
    const app = `kill-${mode}-${process.pid}`;
    // The same replica run whole, once with one turn and once with two: the second turn's requests are those between.
    const requestsOf = async (sessionId: string, turns: number) => {
      const whole = startReplica(replicaConfig(app, sessionId, { turns }));
      expect(await whole.finished).toBe('0');
      expect(whole.errors).toEqual([]);
      return whole.stats.requests;
    };
    const [afterFirst, afterSecond] = await Promise.all([requestsOf('whole-1', 1), requestsOf('whole-2', 2)]);
    const points = Array.from({ length: afterSecond - afterFirst }, (_, i) => afterFirst + 1 + i);
    // getSession, four appends of at least a read and a journal write, at least one conversation write.
    expect(points.length).toBeGreaterThanOrEqual(11);

    const raw = createAgentMemoryServerClient({ apiBaseUrl: target.directUrl! });
    const results = await mapLimit(points, 3, async (k) => {
      const sessionId = `killed-at-${k}`;
      const replica = startReplica(replicaConfig(app, sessionId, { killAfterRequests: k }));
      expect(await replica.finished, `killed after request ${k}`).toBe('SIGKILL');
      const acked = replica.acked.get(sessionId) ?? [];
      const other = new RedisSessionMemoryService(target.config({ conversationWrites: mode }));
      const session = (await other.getSession({ appName: app, userId: USER, sessionId }))!;
      const check = checkSession(acked, session.events);
      // Another instance takes the next turn: its first append writes the conversation.
      await other.appendEvent({ session, event: { ...message(9000 + k, true), invocationId: `next-${k}` } });
      const record = (await new RedisSessionMemoryService(target.config()).getSession({ appName: app, userId: USER, sessionId }))!.events.map((e) => e.id);
      const conversation = ((await raw.getWorkingMemory(sessionId, { namespace: app, user_id: USER })).messages ?? []).map((m) => m.id);
      return {
        k,
        acked: acked.length,
        ...check,
        missingLines: record.filter((id) => !conversation.includes(id)),
        inOrder: conversation.join() === record.join(),
      };
    });
    for (const r of results) expect(r, `killed after request ${r.k}`).toMatchObject({ lost: [], duplicated: [], missingLines: [], inOrder: true });
    // The kills fell all through the turn: from before its first event was acknowledged to after its last.
    expect(new Set(results.map((r) => r.acked)).size).toBeGreaterThanOrEqual(4);
  }, 240_000);
});
