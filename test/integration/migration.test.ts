import {
  createEvent,
  createEventActions,
  DatabaseSessionService,
  InMemorySessionService,
  type BaseSessionService,
  type Event,
  type Session,
} from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copySessions, exportSessions, exportedSource } from '../../src/index.js';
import { backendTarget, suiteBackends, type Target } from '../helpers/targets.js';
import { closeIfStarted } from '../helpers/started.js';

let seq = 0;
const uid = (p: string) => `${p}-${process.pid}-${++seq}`;
let clock = 1_780_000_000_000;

const say = (author: string, text: string, delta?: Record<string, unknown>): Event =>
  createEvent({
    id: uid('e'),
    invocationId: uid('inv'),
    author,
    timestamp: clock++,
    content: { role: author === 'user' ? 'user' : 'model', parts: [{ text }] },
    ...(delta ? { actions: createEventActions({ stateDelta: delta }) } : {}),
  });
const call = (): Event =>
  createEvent({
    id: uid('e'),
    invocationId: uid('inv'),
    author: 'coach',
    timestamp: clock++,
    content: { role: 'model', parts: [{ functionCall: { id: uid('call'), name: 'log_run', args: { km: 10 } } }] },
  });

/** Lines as a file or stdin gives them. */
function fromArray(lines: string[]): AsyncIterable<string> {
  return (async function* () {
    for (const line of lines) yield await Promise.resolve(line);
  })();
}

/** What a session must read the same after every hop: ids, order, times, authors, contents, deltas, state. */
function shape(s: Session) {
  return {
    id: s.id,
    userId: s.userId,
    state: Object.fromEntries(Object.entries(s.state).sort(([a], [b]) => a.localeCompare(b))),
    events: s.events.map((e) => ({ id: e.id, timestamp: e.timestamp, author: e.author, content: e.content, stateDelta: e.actions.stateDelta })),
  };
}
async function all(service: BaseSessionService, appName: string): Promise<ReturnType<typeof shape>[]> {
  const { sessions } = await service.listSessions({ appName });
  const whole = await Promise.all(sessions.map((s) => service.getSession({ appName, userId: s.userId, sessionId: s.id })));
  return whole.map((s) => shape(s!)).sort((a, b) => a.userId.localeCompare(b.userId) || a.id.localeCompare(b.id));
}

/**
 * Three users' sessions in ADK's DatabaseSessionService (sqlite in memory), whose turns interleave
 * in time and change app, user and session state; the last `app:` change comes from the session
 * created first, so only copying in time order ends with the source's app state.
 */
async function seed(db: BaseSessionService, appName: string) {
  const ann1 = await db.createSession({ appName, userId: 'ann', sessionId: 'ann-1', state: { goal: '10k', 'user:units': 'km', 'app:season': 'winter' } });
  const bob1 = await db.createSession({ appName, userId: 'bob', sessionId: 'bob-1' });
  const ann2 = await db.createSession({ appName, userId: 'ann', sessionId: 'ann-2', state: { goal: 'half' } });
  await db.createSession({ appName, userId: 'cat', sessionId: 'cat-empty' });
  await db.appendEvent({ session: ann2, event: say('user', 'Plan a half', { 'app:season': 'spring', 'user:units': 'mi' }) });
  await db.appendEvent({ session: bob1, event: say('user', 'I ran 5k', { pace: 6 }) });
  await db.appendEvent({ session: ann1, event: call() });
  await db.appendEvent({ session: ann1, event: say('coach', 'Logged', { 'app:season': 'summer', 'temp:scratch': 1, goal: '10k-done' }) });
  await db.appendEvent({ session: bob1, event: say('coach', 'Nice', { 'user:units': 'km' }) });
}

describe('copySessions: from ADK DatabaseSessionService through both backends and back to InMemorySessionService', () => {
  const targets: Partial<Record<string, Target>> = {};
  beforeAll(async () => {
    for (const b of suiteBackends(['redis-agent-memory', 'opensource-agent-memory'] as const))
      targets[b] = await backendTarget(b, { server: { backgroundTasks: 'manual' } });
  }, 240_000);
  afterAll(async () => {
    for (const t of Object.values(targets)) await closeIfStarted(t);
  });

  it('is equal at every hop, with app and user state as the source ends them, and reports nothing', async () => {
    const appName = uid('coach');
    const db = new DatabaseSessionService('sqlite://:memory:');
    await seed(db, appName);
    const expected = await all(db, appName);
    expect(expected.find((s) => s.id === 'ann-1')?.state).toMatchObject({ 'app:season': 'summer', 'user:units': 'mi', goal: '10k-done' });
    const chain: BaseSessionService[] = [db, ...Object.values(targets).map((t) => t!.service()), new InMemorySessionService()];
    for (let i = 1; i < chain.length; i++) {
      const report = await copySessions({ from: chain[i - 1]!, to: chain[i]!, appName });
      expect(report.problems).toEqual([]);
      expect(report.sessions).toEqual({ read: 4, created: 4, completed: 0, unchanged: 0 });
      expect(report.events).toEqual({ copied: 5, alreadyThere: 0 });
      expect(report.users).toBe(3);
      expect(await all(chain[i]!, appName)).toEqual(expected);
    }
  }, 120_000);

  it.each(suiteBackends(['redis-agent-memory', 'opensource-agent-memory'] as const))(
    'an interrupted copy into %s completes when run again, with no event twice',
    async (backend) => {
      const appName = uid('resume');
      const db = new DatabaseSessionService('sqlite://:memory:');
      await seed(db, appName);
      const to = targets[backend]!.service();
      const stop = new AbortController();
      const interrupted = copySessions({
        from: db,
        to,
        appName,
        signal: stop.signal,
        onProgress: (p) => p.phase === 'appending' && p.done === 2 && stop.abort(new Error('interrupted')),
      });
      await expect(interrupted).rejects.toThrow('interrupted');
      // Appends run side by side: those under way when it stopped may have landed too.
      const stored = (await all(to, appName)).flatMap((s) => s.events).length;
      expect(stored).toBeGreaterThanOrEqual(2);
      expect(stored).toBeLessThan(5);
      const report = await copySessions({ from: db, to, appName });
      expect(report.problems).toEqual([]);
      expect(report.events).toEqual({ copied: 5 - stored, alreadyThere: stored });
      expect(report.sessions.created).toBe(0);
      expect(await all(to, appName)).toEqual(await all(db, appName));
      const again = await copySessions({ from: db, to, appName });
      expect(again.events).toEqual({ copied: 0, alreadyThere: 5 });
      expect(again.sessions).toMatchObject({ unchanged: 3, created: 0 });
    },
    120_000,
  );

  it('copies one user only, and reports a destination session that holds events the source lacks instead of mixing them', async () => {
    const appName = uid('one');
    const db = new DatabaseSessionService('sqlite://:memory:');
    await seed(db, appName);
    const to = new InMemorySessionService();
    const report = await copySessions({ from: db, to, appName, userId: 'ann' });
    expect(report.sessions.read).toBe(2);
    expect((await to.listSessions({ appName })).sessions.map((s) => s.userId)).toEqual(['ann', 'ann']);
    const bob = await to.createSession({ appName, userId: 'bob', sessionId: 'bob-1' });
    await to.appendEvent({ session: bob, event: say('user', 'written elsewhere') });
    const clash = await copySessions({ from: db, to, appName, userId: 'bob' });
    expect(clash.problems).toEqual([
      { userId: 'bob', sessionId: 'bob-1', reason: 'the destination session has 1 event(s) the source does not; left as it is' },
    ]);
  });

  it('exports JSON lines and imports them into a backend, equal to the source', async () => {
    const appName = uid('jsonl');
    const db = new DatabaseSessionService('sqlite://:memory:');
    await seed(db, appName);
    const lines: string[] = [];
    expect(await exportSessions({ from: db, appName, write: (l) => void lines.push(l) })).toBe(4);
    const read = () => fromArray(lines.join('').split('\n'));
    const to = Object.values(targets)[0]!.service();
    const report = await copySessions({ from: exportedSource(read()), to, appName });
    expect(report.problems).toEqual([]);
    expect(await all(to, appName)).toEqual(await all(db, appName));
    await expect(copySessions({ from: exportedSource(fromArray(['{"v":1,"appName":"x","userId":"u"}'])), to, appName: 'x' })).rejects.toThrow(
      'line 1: id must be a non-empty string',
    );
  });
});
