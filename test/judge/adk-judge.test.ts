/**
 * ADK itself as the judge: every agent program of programs.ts runs on ADK's own
 * DatabaseSessionService (sqlite in memory) and InMemorySessionService, and on
 * RedisSessionMemoryService on both backends (reference servers in `npm test`, the real Agent
 * Memory Server in `npm run test:real`), with `defaultNamespace` unset and set, and with one
 * service instance or a fresh one (another replica) for every turn. What each stores and reads
 * back — events, state, the sessions AgentTool writes under its agents' names, the listing, and
 * what the model was asked — must equal what DatabaseSessionService gives.
 */
import { randomUUID } from 'node:crypto';
import {
  DatabaseSessionService,
  InMemoryMemoryService,
  InMemorySessionService,
  Runner,
  createEvent,
  createEventActions,
  type BaseMemoryService,
  type BaseSessionService,
  type Event,
  type Session,
} from '@google/adk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { backendTarget, suiteBackends, type Target } from '../helpers/targets.js';
import { inTimeOrder, normaliseEvents, normaliseRequests } from './normalise.js';
import { PROGRAMS, type Program } from './programs.js';
import { closeIfStarted } from '../helpers/started.js';

/** The namespace the Python adk-redis's usage example sets (`default_namespace="my_app"`). */
const SHARED_NAMESPACE = 'my_app';
const MEMORY_TOOLS = new Set(['load_memory']);

interface Outcome {
  sessions: Record<string, unknown>;
  listed: unknown;
  requests: unknown[];
  /** Per model request of the memory program: which stored facts the preloaded instruction held. */
  preloaded: string[][];
  /** Whether every session read back has its events in time order. */
  timeOrdered: boolean;
}

interface Deployment {
  /** The service serving turn `turn` (the same one every time, or a fresh replica). */
  service(turn: number): BaseSessionService;
  memory?: BaseMemoryService | undefined;
  /**
   * Waits until the server has done all it does on its own with what was written: indexing after
   * answering, then extraction from the session's thread, whose deduplication merges the stored
   * facts into new records (deleting them first: a search in between finds neither).
   */
  settle?: () => Promise<void>;
}

/** Memory tool results are the memory service's records, not the session service's: compared as a placeholder. */
function withoutMemoryResults(events: Event[]): Event[] {
  return events.map((e) => {
    const parts = e.content?.parts;
    if (!parts?.some((p) => p.functionResponse && MEMORY_TOOLS.has(p.functionResponse.name ?? ''))) return e;
    return {
      ...e,
      content: {
        ...e.content,
        parts: parts.map((p) =>
          p.functionResponse && MEMORY_TOOLS.has(p.functionResponse.name ?? '')
            ? { functionResponse: { ...p.functionResponse, response: { memories: '<memory records>' } } }
            : p,
        ),
      },
    };
  });
}

/** A session as compared: its state and its events, ids and times normalised. */
const compared = (session: Session | undefined, program: Program) =>
  session && { state: session.state, events: normaliseEvents(withoutMemoryResults(session.events), { parallel: program.parallel }) };

async function run(program: Program, deployment: Deployment): Promise<Outcome> {
  const built = program.build();
  // An app of its own per run: app: state is shared by every session of an app.
  const APP = `judge-${randomUUID()}`;
  const userId = `u-${randomUUID()}`;
  const sessionId = `s-${randomUUID()}`;
  if (program.memory) {
    // Facts stored from an earlier session of the same user.
    const service = deployment.service(0);
    const earlier = await service.createSession({ appName: APP, userId, sessionId: `earlier-${sessionId}` });
    for (const [i, fact] of program.memory.facts.entries()) {
      await service.appendEvent({
        session: earlier,
        event: createEvent({
          id: `fact-${i}`,
          invocationId: 'earlier',
          author: 'user',
          timestamp: Date.now(),
          content: { role: 'user', parts: [{ text: fact }] },
        }),
      });
    }
    await deployment.memory!.addSessionToMemory(earlier);
    await deployment.settle?.();
  }
  await deployment.service(0).createSession({ appName: APP, userId, sessionId, state: { plan: 'base' } });
  for (const [i, turn] of program.turns.entries()) {
    const sessionService = deployment.service(i);
    const runner = new Runner({ appName: APP, agent: built.agent, sessionService, ...(deployment.memory ? { memoryService: deployment.memory } : {}) });
    const newMessage =
      typeof turn === 'string' ? { role: 'user', parts: [{ text: turn }] } : turn((await sessionService.getSession({ appName: APP, userId, sessionId }))!);
    for await (const _ of runner.runAsync({ userId, sessionId, newMessage })) void _;
  }
  const reader = deployment.service(program.turns.length);
  const raw: Record<string, Session | undefined> = {};
  for (const app of [APP, ...(program.subApps ?? [])]) raw[app === APP ? 'main' : app] = await reader.getSession({ appName: app, userId, sessionId });
  program.check?.(raw['main']!);
  const sessions = Object.fromEntries(Object.entries(raw).map(([app, s]) => [app, compared(s, program)]));
  const listing = await reader.listSessions({ appName: APP, userId });
  const listed = listing.sessions.filter((s) => s.id === sessionId).map((s) => ({ state: s.state, events: s.events.length }));
  const facts = program.memory?.facts ?? [];
  return {
    sessions,
    listed,
    requests: built.models.map((m) =>
      normaliseRequests(m.requests.map((r) => ({ ...r, contents: r.contents.map((c) => withoutMemoryResults([{ content: c } as Event])[0]!.content!) }))),
    ),
    timeOrdered: Object.values(raw).every((s) => !s || inTimeOrder(s.events)),
    preloaded: built.models.flatMap((m) => m.requests.map((r) => facts.filter((f) => JSON.stringify(r.config?.systemInstruction ?? '').includes(f)))),
  };
}

const oracles: Record<string, Outcome> = {};
const inMemoryOutcomes: Record<string, Outcome> = {};
const database = new DatabaseSessionService('sqlite://:memory:');
const inMemory = new InMemorySessionService();

/**
 * A clock that never gives one millisecond twice. ADK stamps events with `Date.now()`, and how it
 * treats events of one millisecond is not the session services' doing: getActiveEvents hides
 * every event up to a CompactedEvent's end time (so one of the same millisecond disappears with
 * the compacted ones), and DatabaseSessionService returns such events in the reverse of the
 * order they were appended (it sorts by timestamp descending, then reverses). With distinct times
 * every program does the same on every run, and both of ADK's services return append order.
 */
const realNow = Date.now.bind(Date);
let lastNow = 0;
vi.spyOn(Date, 'now').mockImplementation(() => (lastNow = Math.max(realNow(), lastNow + 1)));

beforeAll(async () => {
  for (const program of PROGRAMS) {
    oracles[program.name] = await run(program, { service: () => database, memory: program.memory ? new InMemoryMemoryService() : undefined });
    inMemoryOutcomes[program.name] = await run(program, { service: () => inMemory, memory: program.memory ? new InMemoryMemoryService() : undefined });
  }
}, 120_000);

describe("ADK's own services agree with each other", () => {
  it.each(PROGRAMS.map((p) => [p.name, p] as const))('%s: InMemorySessionService as DatabaseSessionService', (_name, program) => {
    const outcome = inMemoryOutcomes[program.name]!;
    const oracle = oracles[program.name]!;
    expect(oracle.timeOrdered).toBe(true);
    expect(outcome.timeOrdered).toBe(true);
    expect(outcome.sessions).toEqual(oracle.sessions);
    expect(outcome.requests).toEqual(oracle.requests);
    // They differ: InMemorySessionService lists sessions with empty state; the database merges
    // app, user and session state into each. This package follows the database.
    expect(outcome.listed).toEqual([{ state: {}, events: 0 }]);
    expect(oracle.listed).toEqual([{ state: expect.objectContaining({ plan: 'base' }), events: 0 }]);
  });
});

describe.each(suiteBackends(['redis-agent-memory', 'opensource-agent-memory'] as const))(
  'RedisSessionMemoryService on %s, judged by DatabaseSessionService',
  (backend) => {
    let target: Target;
    beforeAll(async () => {
      target = await backendTarget(backend, { viaPrism: false });
    });
    afterAll(() => closeIfStarted(target));

    const variants = [
      { defaultNamespace: undefined, replicas: false },
      { defaultNamespace: SHARED_NAMESPACE, replicas: false },
      { defaultNamespace: undefined, replicas: true },
      { defaultNamespace: SHARED_NAMESPACE, replicas: true },
    ];
    const cases = PROGRAMS.flatMap((p) =>
      variants.map((v) => [p.name, v.defaultNamespace ?? 'unset', v.replicas ? 'a fresh instance every turn' : 'one instance', p, v] as const),
    );

    it.each(cases)('%s (defaultNamespace %s, %s)', async (_name, _ns, _mode, program, variant) => {
      const config = variant.defaultNamespace ? { defaultNamespace: variant.defaultNamespace } : {};
      const one = target.service(config);
      const memory = program.memory ? target.memory!(config) : undefined;
      const outcome = await run(program, {
        service: () => (variant.replicas ? target.service(config) : one),
        memory,
        // Reference and real servers alike: every backend target has its server.
        settle: () => target.server!.runBackgroundTasks(),
      });
      const oracle = oracles[program.name]!;
      expect(outcome.sessions).toEqual(oracle.sessions);
      // Listed as DatabaseSessionService lists: merged state, no events.
      expect(outcome.listed).toEqual(oracle.listed);
      expect(outcome.requests).toEqual(oracle.requests);
      expect(outcome.timeOrdered).toBe(true);
      if (program.memory) {
        // Every request saw the stored facts in its preloaded instruction, as with ADK's in-memory memory.
        expect(outcome.preloaded.every((facts) => facts.length > 0)).toBe(true);
        expect(oracle.preloaded.every((facts) => facts.length > 0)).toBe(true);
      }
    });

    it("getSession windows (afterTimestamp at an event's very time, numRecentEvents) as DatabaseSessionService", async () => {
      const windows = [
        { afterTimestamp: 3000 },
        { afterTimestamp: 3001 },
        { numRecentEvents: 2 },
        { afterTimestamp: 2000, numRecentEvents: 2 },
        { numRecentEvents: 0 },
      ];
      const read = async (service: BaseSessionService) => {
        const userId = `w-${randomUUID()}`;
        const session = await service.createSession({ appName: 'windows', userId });
        for (let i = 1; i <= 5; i++)
          await service.appendEvent({
            session,
            event: createEvent({ id: `e${i}`, invocationId: 'i', author: 'user', timestamp: i * 1000, content: { role: 'user', parts: [{ text: `m${i}` }] } }),
          });
        const out: string[][] = [];
        for (const config of windows)
          out.push((await service.getSession({ appName: 'windows', userId, sessionId: session.id, config }))!.events.map((e) => e.id));
        return out;
      };
      const expected = await read(database);
      expect(expected[0]).toEqual(['e4', 'e5']);
      expect(await read(target.service())).toEqual(expected);
    });

    it('an append with a Session read before another instance deleted the session and created it afresh goes into the new one, as DatabaseSessionService', async () => {
      const said = (id: string, text: string, stateDelta: Record<string, unknown>) =>
        createEvent({
          id,
          invocationId: 'i',
          author: 'user',
          timestamp: Date.now(),
          actions: createEventActions({ stateDelta }),
          content: { role: 'user', parts: [{ text }] },
        });
      const call = (id: string) =>
        createEvent({
          id,
          invocationId: 'i',
          author: 'coach',
          timestamp: Date.now(),
          content: { role: 'model', parts: [{ functionCall: { id, name: 'log_run', args: {} } }] },
        });
      const run = async (writer: BaseSessionService, other: BaseSessionService) => {
        const scope = { appName: 'recreated', userId: `r-${randomUUID()}`, sessionId: 's' };
        const old = await writer.createSession({ ...scope, state: { opened: 'first' } });
        await writer.appendEvent({ session: old, event: said('e1', 'Log my run.', { km: 5 }) });
        await writer.appendEvent({ session: old, event: call('e2') });
        await other.deleteSession(scope);
        await other.createSession({ ...scope, state: { opened: 'again' } });
        await writer.appendEvent({ session: old, event: said('e3', 'Log another.', { pace: 'easy' }) });
        await writer.appendEvent({ session: old, event: call('e4') });
        const now = (await other.getSession(scope))!;
        return { events: now.events.map((e) => e.id), state: now.state };
      };
      const expected = await run(database, database);
      expect(expected).toEqual({ events: ['e3', 'e4'], state: { opened: 'again', pace: 'easy' } });
      expect(await run(target.service(), target.service())).toEqual(expected);
    });

    it.each([undefined, SHARED_NAMESPACE])(
      'a saved session replayed into a new one (as adk run --save_session / --resume) reads back equal (defaultNamespace %s)',
      async (defaultNamespace) => {
        const saved = await savedSession();
        const service = target.service(defaultNamespace ? { defaultNamespace } : {});
        const replayed = await replay(service, saved);
        expect(JSON.parse(JSON.stringify(replayed.events))).toEqual(JSON.parse(JSON.stringify(saved.events)));
        expect(replayed.state).toEqual((await replay(database, saved)).state);
        const fresh = await target
          .service(defaultNamespace ? { defaultNamespace } : {})
          .getSession({ appName: saved.appName, userId: replayed.userId, sessionId: replayed.id });
        expect(JSON.parse(JSON.stringify(fresh!.events))).toEqual(JSON.parse(JSON.stringify(saved.events)));
      },
    );
  },
);

/** A session as `adk run --save_session` saves it: one that ran on ADK's own service, its events with their ids and old times. */
async function savedSession(): Promise<Session> {
  const program = PROGRAMS[0]!;
  const service = new InMemorySessionService();
  const built = program.build();
  const s = await service.createSession({ appName: 'judge', userId: 'saver', state: { plan: 'base' } });
  const runner = new Runner({ appName: 'judge', agent: built.agent, sessionService: service });
  for (const turn of program.turns)
    for await (const _ of runner.runAsync({ userId: 'saver', sessionId: s.id, newMessage: { role: 'user', parts: [{ text: String(turn) }] } })) void _;
  const saved = (await service.getSession({ appName: 'judge', userId: 'saver', sessionId: s.id }))!;
  // Saved a day ago.
  for (const e of saved.events) e.timestamp -= 86_400_000;
  return saved;
}

/** What `--resume` does: a new session, then each saved event appended as it is. */
async function replay(service: BaseSessionService, saved: Session): Promise<Session> {
  const userId = `replay-${randomUUID()}`;
  const session = await service.createSession({ appName: saved.appName, userId, state: { plan: 'base' } });
  for (const event of saved.events) await service.appendEvent({ session, event: structuredClone(event) });
  return (await service.getSession({ appName: saved.appName, userId, sessionId: session.id }))!;
}
