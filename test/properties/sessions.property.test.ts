/**
 * Generated inputs against ADK's own DatabaseSessionService (sqlite in memory) as the oracle: for
 * each generated sequence of createSession / appendEvent / getSession (with and without windows) /
 * listSessions / deleteSession, this package on each backend either answers what the database
 * answers, or refuses the call with an InvalidInputError naming the field and its rule, before
 * anything is sent — and then nothing of that call is stored (later reads still agree with the
 * database, which never saw the call). Seeded and replayable: see settings.ts.
 */
import { DatabaseSessionService, type BaseSessionService, type Event, type Session } from '@google/adk';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentMemoryError, InvalidInputError } from '../../src/clients/errors.js';
import { backendTarget, suiteBackends, REAL_AMS, type Target } from '../helpers/targets.js';
import { closeIfStarted } from '../helpers/started.js';
import { event, hostileId, stateMap, timestamp } from './generators.js';
import { propertySettings } from './settings.js';

/** Sequences per property per backend: `npm test` on the reference servers, fewer on the real server. */
export const RUNS = REAL_AMS ? 50 : 200;
const settings = propertySettings(RUNS);

type Step =
  | { op: 'create'; sessionId: string | undefined; state: Record<string, unknown> }
  | { op: 'append'; target: number; event: Event }
  | { op: 'get'; target: number; window: { numRecentEvents?: number; afterTimestamp?: number } | undefined }
  | { op: 'list' }
  | { op: 'delete'; target: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('create' as const), sessionId: fc.option(hostileId, { nil: undefined }), state: stateMap }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('append' as const), target: fc.nat(3), event: event(fc.uuid()) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('get' as const),
      target: fc.nat(3),
      window: fc.option(fc.record({ numRecentEvents: fc.integer({ min: 1, max: 5 }), afterTimestamp: timestamp }, { requiredKeys: [] }), { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('list' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), target: fc.nat(3) }) },
);

/** As JSON, which is how the database stores an event. */
const asStored = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

/**
 * Differences by design, in one place (docs/sessions.md lists them too):
 * - a state key `__proto__` is kept as an own key here (ADK's own tests ask that state keys be kept
 *   as given); the database service assigns it while merging state, which sets the object's
 *   prototype and loses the key.
 */
function byDesign(ours: Record<string, unknown>, database: Record<string, unknown>): Record<string, unknown> {
  if (Object.hasOwn(ours, '__proto__') && !Object.hasOwn(database, '__proto__')) {
    return Object.fromEntries(Object.entries(ours).filter(([k]) => k !== '__proto__'));
  }
  return ours;
}

/**
 * - events of equal timestamp: this package keeps them in the order they were appended (a tool call
 *   and its response in one millisecond stay in order, as in ADK's InMemorySessionService); the
 *   database returns them in reverse (it reads newest first and turns the list round). Compared
 *   here as a set per timestamp; `test/conformance/adk-semantics.test.ts` checks append order.
 */
function tiesInOneOrder(events: unknown): unknown {
  if (!Array.isArray(events)) return events;
  return [...(events as { timestamp: number }[])].sort((a, b) => a.timestamp - b.timestamp || JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/**
 * - so a window of the newest n events that cuts through events of one timestamp holds different
 *   ones of them (the database counts the first appended of equals as the newest): the events at
 *   the oldest timestamp of such a window are compared by count.
 */
function windowEdgeByCount(events: unknown): unknown {
  if (!Array.isArray(events) || !events.length) return events;
  const edge = Math.min(...(events as { timestamp: number }[]).map((e) => e.timestamp));
  return (events as { timestamp: number }[]).map((e) => (e.timestamp === edge ? { timestamp: edge, atTheWindowEdge: true } : e));
}

/** A session as both services can be compared: ids as the sequence's own numbering, no timestamps of the store. */
function view(s: Session | undefined, index: number, newest: boolean) {
  const events = tiesInOneOrder(asStored(s?.events));
  return s && { id: index, userId: s.userId, state: asStored(s.state) as Record<string, unknown>, events: newest ? windowEdgeByCount(events) : events };
}

/** Ours and the database's view of one session (`newest`: read with numRecentEvents), with the differences by design taken out. */
function compared(ours: Session | undefined, database: Session | undefined, index: number, newest = false) {
  const [a, b] = [view(ours, index, newest), view(database, index, newest)];
  return [a && b ? { ...a, state: byDesign(a.state, b.state) } : a, b];
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };
async function attempt<T>(f: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A refusal of this package's input check: names the field and its rule. */
function refusedInput(o: Outcome<unknown>): boolean {
  if (o.ok || !(o.error instanceof InvalidInputError)) return false;
  expect((o.error as Error).message).toMatch(/\S+ (must|is|has|may|cannot)/);
  return true;
}

let seq = 0;
const database = new DatabaseSessionService('sqlite://:memory:');

describe.each(suiteBackends(['redis-agent-memory', 'opensource-agent-memory'] as const))(
  'generated sequences on %s against DatabaseSessionService',
  (backend) => {
    let target: Target;
    beforeAll(async () => {
      // The reference servers directly: Prism's checks would add minutes to hundreds of sequences and
      // are made by the conformance suites.
      target = await backendTarget(backend, { viaPrism: false });
    });
    afterAll(() => closeIfStarted(target));

    it(`answers as the database does, or refuses before storing anything (${settings.numRuns} sequences)`, async () => {
      let tried = 0;
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
          const run = ++seq;
          if (process.env.FC_TRACE) console.error(`run ${run} ${Date.now()}`);
          const ours: BaseSessionService = target.service();
          const apps = { ours: `p${process.pid}-${run}`, db: `db${process.pid}-${run}` };
          const ids: { ours: string; db: string; gone: boolean }[] = [];
          const read = (s: BaseSessionService, app: string, id: string, window?: Step & { op: 'get' }) =>
            s.getSession({ appName: app, userId: 'u', sessionId: id, ...(window?.window ? { config: window.window } : {}) });
          for (const st of steps) {
            tried++;
            if (st.op === 'create') {
              const mine = await attempt(() =>
                ours.createSession({ appName: apps.ours, userId: 'u', state: st.state, ...(st.sessionId !== undefined ? { sessionId: st.sessionId } : {}) }),
              );
              if (refusedInput(mine)) {
                refused++;
                continue;
              }
              const theirs = await attempt(() =>
                database.createSession({ appName: apps.db, userId: 'u', state: st.state, ...(st.sessionId !== undefined ? { sessionId: st.sessionId } : {}) }),
              );
              expect({ ok: mine.ok, error: mine.ok ? undefined : String(mine.error) }, `createSession ${JSON.stringify(st.sessionId)}`).toEqual({
                ok: theirs.ok,
                error: mine.ok ? undefined : String(mine.error),
              });
              if (mine.ok && theirs.ok) {
                ids.push({ ours: mine.value.id, db: theirs.value.id, gone: false });
                const [a, b] = compared(mine.value, theirs.value, ids.length - 1);
                expect(a).toEqual(b);
              }
              continue;
            }
            if (st.op === 'list') {
              const [a, b] = [await ours.listSessions({ appName: apps.ours, userId: 'u' }), await database.listSessions({ appName: apps.db, userId: 'u' })];
              const index = (side: 'ours' | 'db', id: string) => ids.findIndex((x) => x[side] === id);
              expect(a.sessions.map((s) => index('ours', s.id)).sort()).toEqual(b.sessions.map((s) => index('db', s.id)).sort());
              continue;
            }
            if (!ids.length) continue;
            const i = st.target % ids.length;
            const pair = ids[i]!;
            if (st.op === 'get') {
              const [a, b] = compared(
                await read(ours, apps.ours, pair.ours, st),
                await read(database, apps.db, pair.db, st),
                i,
                st.window?.numRecentEvents !== undefined,
              );
              expect(a, `getSession ${JSON.stringify(st.window)}`).toEqual(b);
            } else if (st.op === 'delete') {
              await ours.deleteSession({ appName: apps.ours, userId: 'u', sessionId: pair.ours });
              await database.deleteSession({ appName: apps.db, userId: 'u', sessionId: pair.db });
              pair.gone = true;
            } else {
              const [sa, sb] = [await read(ours, apps.ours, pair.ours), await read(database, apps.db, pair.db)];
              if (!sa || !sb) {
                expect(!sa).toBe(!sb);
                continue;
              }
              // Each side appends its own copy: services may change the event they are given.
              const [ea, eb] = [structuredClone(st.event), structuredClone(st.event)];
              const mine = await attempt(() => ours.appendEvent({ session: sa, event: ea }));
              if (refusedInput(mine)) {
                refused++;
                continue;
              }
              const theirs = await attempt(() => database.appendEvent({ session: sb, event: eb }));
              if (!mine.ok && !(mine.error instanceof AgentMemoryError)) throw mine.error;
              expect(
                mine.ok,
                `appendEvent: ours ${mine.ok ? 'stored' : String(mine.error)}, the database ${theirs.ok ? 'stored' : String((theirs as { error: unknown }).error)}`,
              ).toBe(theirs.ok);
            }
          }
          // Finally every session, read whole, agrees.
          for (const [i, pair] of ids.entries()) {
            const [a, b] = compared(await read(ours, apps.ours, pair.ours), await read(database, apps.db, pair.db), i);
            expect(a).toEqual(b);
          }
        }),
        settings,
      );
      console.log(`${backend}: ${settings.numRuns} sequences, ${tried} calls, ${refused} refused by the input check`);
    }, 600_000);
  },
);
