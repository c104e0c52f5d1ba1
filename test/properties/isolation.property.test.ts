/**
 * Isolation as a property: for generated pairs of callers — users, apps and namespaces, hostile
 * ids among them (`*`, `bob*`, TAG syntax, case and whitespace variants, unicode, path characters) —
 * what one writes (a session with state, app and user state, a memory) is never seen, listed,
 * found or deleted by the other, through any read, list, search or delete, on both backends.
 * Seeded and replayable: see settings.ts.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/clients/errors.js';
import { backendTarget, suiteBackends, REAL_AMS, type Target } from '../helpers/targets.js';
import { closeIfStarted } from '../helpers/started.js';
import { hostileId } from './generators.js';
import { propertySettings } from './settings.js';

const RUNS = REAL_AMS ? 50 : 200;
const settings = propertySettings(RUNS);

/** A caller: who it is, and where (the namespace is the app's own unless given). */
const caller = fc.record({ appName: hostileId, userId: hostileId, namespace: fc.option(hostileId, { nil: undefined }) });
type Caller = { appName: string; userId: string; namespace: string | undefined };
const key = (c: Caller) => `${c.namespace ?? c.appName}\u0000${c.appName}\u0000${c.userId}`;

/** The other caller as close as can be: same app or namespace, a user id one step away (case, wildcard, space, prefix). */
const near = (c: Caller): fc.Arbitrary<Caller> =>
  fc.oneof(
    hostileId.map((userId) => ({ ...c, userId })),
    fc
      .constantFrom(
        c.userId.toUpperCase(),
        c.userId.toLowerCase(),
        `${c.userId}*`,
        `${c.userId} `,
        ` ${c.userId}`,
        `${c.userId}x`,
        c.userId.slice(0, -1) || 'z',
      )
      .map((userId) => ({ ...c, userId })),
    hostileId.map((appName) => ({ ...c, appName, namespace: c.namespace ?? c.appName })),
  );

/** Pairs of callers: independent, or near each other (where a dropped filter would show). */
const pair = fc.oneof(
  fc.tuple(caller, caller),
  caller.chain((a) => near(a).map((b) => [a, b] as [Caller, Caller])),
  caller.chain((a) => near(a).map((b) => [b, a] as [Caller, Caller])),
);

let seq = 0;

/** An id this package refuses reads as nothing there; anything else is thrown on. */
function refusedOrThrow(e: unknown): undefined {
  if (e instanceof InvalidInputError) return undefined;
  throw e;
}

describe.each(suiteBackends(['redis-agent-memory', 'opensource-agent-memory'] as const))('isolation of generated callers on %s', (backend) => {
  let target: Target;
  beforeAll(async () => {
    target = await backendTarget(backend, { viaPrism: false });
  });
  afterAll(() => closeIfStarted(target));

  it(`no caller sees, lists, finds or deletes another's sessions, state or memories (${settings.numRuns} pairs)`, async () => {
    let pairs = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        pair.filter(([a, b]) => key(a) !== key(b)),
        async ([a, b]) => {
          // Each run in its own space of names: a suffix both callers share keeps pairs apart.
          const run = `-${process.pid}-${++seq}`;
          const spaced = (c: Caller) => ({ ...c, appName: c.appName + run, ...(c.namespace !== undefined ? { namespace: c.namespace + run } : {}) });
          const [ca, cb] = [spaced(a), spaced(b)];
          const sessionsOf = (c: typeof ca) => target.service(c.namespace !== undefined ? { defaultNamespace: c.namespace } : {});
          const memoryOf = (c: typeof ca) => target.memory!(c.namespace !== undefined ? { defaultNamespace: c.namespace } : {});
          const [sa, sb] = [sessionsOf(ca), sessionsOf(cb)];
          const secret = `zebra${seq} kept by ${JSON.stringify(a.userId)}`;
          let created;
          try {
            created = await sa.createSession({ appName: ca.appName, userId: ca.userId, state: { secret, 'user:secret': secret, 'app:secret': secret } });
            await memoryOf(ca).addMemory({ appName: ca.appName, userId: ca.userId, memories: [{ content: { role: 'user', parts: [{ text: secret }] } }] });
          } catch (e) {
            // An id this package refuses is refused before anything is sent.
            if (e instanceof InvalidInputError) {
              refused++;
              return;
            }
            throw e;
          }
          pairs++;
          await target.settle();
          const readsOfB = async () => {
            const listed = await sb.listSessions({ appName: cb.appName, userId: cb.userId });
            const got = await sb.getSession({ appName: cb.appName, userId: cb.userId, sessionId: created.id }).catch(refusedOrThrow);
            const fresh = await sb.createSession({ appName: cb.appName, userId: cb.userId });
            const found = await memoryOf(cb).searchMemory({ appName: cb.appName, userId: cb.userId, query: `zebra${seq}` });
            await sb.deleteSession({ appName: cb.appName, userId: cb.userId, sessionId: fresh.id });
            return { listed: listed.sessions.map((s) => s.id), got, freshState: fresh.state, found: found.memories.map((m) => m.content.parts?.[0]?.text) };
          };
          const seen = await readsOfB();
          const sameApp = ca.appName === cb.appName && (ca.namespace ?? ca.appName) === (cb.namespace ?? cb.appName);
          expect(seen.listed).not.toContain(created.id);
          expect(seen.got).toBeUndefined();
          expect(seen.found).toEqual([]);
          // App state is shared by the users of one app (ADK's scopes); user and session state never.
          expect(seen.freshState).toEqual(sameApp ? { 'app:secret': secret } : {});
          // What B deletes leaves A's data as it was.
          await sb.deleteSession({ appName: cb.appName, userId: cb.userId, sessionId: created.id }).catch(refusedOrThrow);
          await memoryOf(cb).forgetUser({ appName: cb.appName, userId: cb.userId });
          // Positive controls: A still lists, reads and finds what it wrote.
          expect((await sa.listSessions({ appName: ca.appName, userId: ca.userId })).sessions.map((s) => s.id)).toContain(created.id);
          const still = await sa.getSession({ appName: ca.appName, userId: ca.userId, sessionId: created.id });
          expect(still?.state).toEqual({ secret, 'user:secret': secret, 'app:secret': secret });
          await target.settle();
          const mine = await memoryOf(ca).searchMemory({ appName: ca.appName, userId: ca.userId, query: `zebra${seq}` });
          expect(mine.memories.map((m) => m.content.parts?.[0]?.text)).toContain(secret);
        },
      ),
      settings,
    );
    console.log(`${backend}: ${settings.numRuns} pairs generated, ${pairs} stored, ${refused} refused by the input check`);
  }, 900_000);
});
