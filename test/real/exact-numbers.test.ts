/**
 * RedisJSON, where Agent Memory Server keeps a working memory's `data`, reads some numbers one unit
 * in the last place off (src/codec/exact-numbers.ts says which and why). Shown on the real server,
 * with the rule this package uses to tell which numbers need their exact text kept checked against
 * thousands of numbers; then sessions whose state and events hold such numbers read back exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, createEventActions } from '@google/adk';
import { RedisSessionMemoryService } from '../../src/index.js';
import { createAgentMemoryServerClient } from '../../src/clients/agent-memory-server.js';
import { storedExactly } from '../../src/codec/exact-numbers.js';
import { startRealAgentMemoryServer, type RealAgentMemoryServer } from '../../src/testing/index.js';
import { closeIfStarted } from '../helpers/started.js';

/** Numbers the real server was seen to change (from Math.random(), and one the property tests found). */
const CHANGED = [
  0.17624703093905159, 0.9172798220343525, 0.19974296045791418, 0.11561929234235513, 0.0023079489516375506, 0.21435455349174815, -8.537630962471415e-243,
];

/** Deterministic doubles of every size: a xorshift generator's bits as uniform [0, 1), scaled. */
function doubles(count: number): number[] {
  let x = 0x9e3779b97f4a7c15n;
  const next = () => {
    x ^= (x << 13n) & 0xffffffffffffffffn;
    x ^= x >> 7n;
    x ^= (x << 17n) & 0xffffffffffffffffn;
    return Number(x >> 11n) / 2 ** 53;
  };
  return Array.from({ length: count }, (_, i) => {
    const u = next();
    return i % 3 === 0 ? u : i % 3 === 1 ? u * 10 ** Math.floor(next() * 40 - 20) : (next() - 0.5) * 10 ** Math.floor(next() * 600 - 300);
  });
}

describe('numbers RedisJSON does not read exactly', () => {
  let server: RealAgentMemoryServer;
  beforeAll(async () => {
    server = await startRealAgentMemoryServer({});
  });
  afterAll(() => closeIfStarted(server));

  it('the server: every number the rule calls exact comes back as written, and some others do not', async () => {
    const client = createAgentMemoryServerClient({ apiBaseUrl: server.url });
    const values = [...CHANGED, 0.1, 0.3, 1 / 3, Math.PI, 123456.789, 1e21, 5e-324, 1.7976931348623157e308, 2 ** 53 - 1, ...doubles(6000)];
    await client.putWorkingMemory('numbers', { messages: [], memories: [], data: { values }, namespace: 'exact-numbers' });
    const back = ((await client.getWorkingMemory('numbers', { namespace: 'exact-numbers' })).data as { values: number[] }).values;
    const changed = values.filter((v, i) => back[i] !== v);
    const exactByRule = values.filter(storedExactly);
    expect(changed.filter(storedExactly)).toEqual([]);
    expect(changed).toEqual(expect.arrayContaining(CHANGED));
    // The rule is not vacuous: it passes most numbers of a few digits, and the server changes many it does not pass.
    expect(exactByRule.length).toBeGreaterThan(1000);
    expect(changed.length).toBeGreaterThan(300);
    for (const [i, v] of values.entries()) if (back[i] !== v) expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -51);
  });

  it('the package: state and events holding such numbers read back exactly, and listings keep the time', async () => {
    const sessions = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url });
    const numbers = [...CHANGED, ...doubles(300)];
    const state = { numbers, nested: { deep: [CHANGED[0]] }, 'user:n': CHANGED[1], 'app:n': CHANGED[2], __proto__x: CHANGED[3] };
    const session = await sessions.createSession({ appName: 'exact', userId: 'u', state });
    const timestamp = 1_700_000_000_000.0002;
    const event = createEvent({
      invocationId: 'i',
      author: 'tool',
      timestamp,
      content: { role: 'model', parts: [{ functionCall: { id: 'c', name: 'f', args: { x: CHANGED[4] } } }] },
      actions: createEventActions({ stateDelta: { later: CHANGED[5], 'user:later': CHANGED[6] } }),
      customMetadata: { numbers },
    });
    await sessions.appendEvent({ session, event });
    const read = await sessions.getSession({ appName: 'exact', userId: 'u', sessionId: session.id });
    expect(read?.state).toEqual({ ...state, later: CHANGED[5], 'user:later': CHANGED[6] });
    expect(read?.events[0]?.content?.parts?.[0]?.functionCall?.args).toEqual({ x: CHANGED[4] });
    expect(read?.events[0]?.customMetadata).toEqual({ numbers });
    expect(read?.events[0]?.timestamp).toBe(timestamp);
    const listed = (await sessions.listSessions({ appName: 'exact', userId: 'u' })).sessions.find((s) => s.id === session.id);
    expect(listed?.lastUpdateTime).toBe(timestamp);
    // A second instance, with nothing cached, reads the same.
    const other = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url });
    expect((await other.getSession({ appName: 'exact', userId: 'u', sessionId: session.id }))?.state).toEqual(read?.state);
  });
});
