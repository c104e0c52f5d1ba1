import { trimTempState, type BaseSessionService, type Event, type Session } from '@google/adk';
import { invalidInput } from '../clients/invalid-input.js';
import { isEmpty, splitState } from '../codec/state.js';

/** Where sessions are copied from: any ADK session service, or a stream of exported sessions. */
export interface SessionSource {
  /** Every session of the app (of one user when `userId` is given), whole: events and merged state. */
  sessions(appName: string, userId: string | undefined, signal?: AbortSignal): AsyncIterable<Session>;
}

/** What copySessions reports as it goes: the phase and the session it is at. */
export interface CopyProgress {
  phase: 'reading' | 'creating' | 'appending' | 'verifying';
  done: number;
  total: number;
}

/** Something copySessions could not copy as it is, or found different afterwards. */
export interface CopyProblem {
  userId: string;
  sessionId: string;
  eventId?: string;
  reason: string;
}

/** What copySessions did: sessions copied, skipped and failed, events and state verified. */
export interface CopyReport {
  sessions: {
    /** Sessions read from the source. */
    read: number;
    /** Created in the destination by this run. */
    created: number;
    /** Already in the destination, with events missing that this run appended. */
    completed: number;
    /** Already in the destination with every event: nothing to do. */
    unchanged: number;
  };
  events: { copied: number; alreadyThere: number };
  users: number;
  /** Empty when every session reads back in the destination as it reads in the source. */
  problems: CopyProblem[];
}

/** Options of copySessions: where from, where to, which app and users. */
export interface CopySessionsOptions {
  from: BaseSessionService | SessionSource;
  to: BaseSessionService;
  appName: string;
  userId?: string;
  signal?: AbortSignal;
  /** Called as the copy moves from phase to phase and session to session. */
  onProgress?: (progress: CopyProgress) => void;
}

/** An ADK session service as a source: its listing, then each session read whole. */
export function sessionServiceSource(service: BaseSessionService): SessionSource {
  return {
    async *sessions(appName, userId, signal) {
      const { sessions } = await service.listSessions({ appName, ...(userId !== undefined ? { userId } : {}) });
      for (const listed of sessions) {
        signal?.throwIfAborted();
        const whole = await service.getSession({ appName, userId: listed.userId, sessionId: listed.id });
        if (whole) yield whole;
      }
    },
  };
}

/** A session service (it lists and gets sessions) read as a source; a source as it is. */
export function asSource(from: BaseSessionService | SessionSource): SessionSource {
  const service = from as Partial<BaseSessionService>;
  return typeof service.listSessions === 'function' && typeof service.getSession === 'function'
    ? sessionServiceSource(from as BaseSessionService)
    : (from as SessionSource);
}
const keyOf = (s: { userId: string; id: string }) => JSON.stringify([s.userId, s.id]);

/** How many appends run side by side (each session's own stay in order). */
const APPEND_CONCURRENCY = 8;

/** Whether an event changes state that other sessions share (`app:` or `user:` keys). */
function sharesState(event: Event): boolean {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- events of other services may come without actions
  const { app, user } = splitState(event.actions?.stateDelta);
  return !isEmpty(app) || !isEmpty(user);
}

/**
 * Copies every session of an app (or of one user) from one ADK session service to another, with
 * events (ids, timestamps, actions) and state. Events are appended across sessions in the order they
 * happened, so `app:` and `user:` state end as they were in the source. Running it again copies
 * nothing twice and completes what an interrupted run left missing. Whatever the destination
 * cannot hold as the source has it is reported in `problems`, never changed to fit.
 */
export async function copySessions(options: CopySessionsOptions): Promise<CopyReport> {
  const { to, appName, userId, signal, onProgress } = options;
  if (typeof appName !== 'string' || !appName) throw invalidInput('copySessions', 'appName', 'must be a non-empty string');
  if (userId !== undefined && (typeof userId !== 'string' || !userId)) throw invalidInput('copySessions', 'userId', 'must be a non-empty string when given');
  const source = asSource(options.from);
  const report: CopyReport = { sessions: { read: 0, created: 0, completed: 0, unchanged: 0 }, events: { copied: 0, alreadyThere: 0 }, users: 0, problems: [] };
  const progress = (phase: CopyProgress['phase'], done: number, total: number) => onProgress?.({ phase, done, total });

  const sources: Session[] = [];
  for await (const s of source.sessions(appName, userId, signal)) {
    sources.push(s);
    progress('reading', sources.length, sources.length);
  }
  report.sessions.read = sources.length;
  report.users = new Set(sources.map((s) => s.userId)).size;

  // Each session in the destination, created where missing; what each still lacks.
  const targets = new Map<string, Session>();
  const pending: { key: string; event: Event; order: number }[] = [];
  let order = 0;
  for (const [i, s] of sources.entries()) {
    signal?.throwIfAborted();
    const request = { appName, userId: s.userId, sessionId: s.id, signal };
    let target = await to.getSession(request);
    // An event stored whole is there; one stored only in part (a write cut off mid-way) is copied again.
    const prints = new Map(s.events.map((e) => [e.id, fingerprint(e)]));
    const have = new Set((target?.events ?? []).filter((e) => prints.get(e.id) === fingerprint(e)).map((e) => e.id));
    const foreign = (target?.events ?? []).filter((e) => !prints.has(e.id));
    if (foreign.length) {
      report.problems.push({
        userId: s.userId,
        sessionId: s.id,
        reason: `the destination session has ${foreign.length} event(s) the source does not; left as it is`,
      });
      continue;
    }
    if (!target) {
      target = await to.createSession({ ...request, state: trimTempState(s.state) });
      report.sessions.created++;
    }
    targets.set(keyOf(s), target);
    const missing = s.events.filter((e) => !have.has(e.id));
    report.events.alreadyThere += s.events.length - missing.length;
    if (!missing.length && have.size) report.sessions.unchanged++;
    else if (have.size) report.sessions.completed++;
    for (const event of missing) pending.push({ key: keyOf(s), event, order: order++ });
    progress('creating', i + 1, sources.length);
  }

  // In the order things happened, so state changes of every scope apply as they did in the source.
  pending.sort((a, b) => a.event.timestamp - b.event.timestamp || a.order - b.order);
  const stopped = new Set<string>();
  let appended = 0;
  const appendOne = async (key: string, event: Event) => {
    if (stopped.has(key)) return;
    const session = targets.get(key)!;
    try {
      // This package's services take the signal here; ADK's ignore it.
      await to.appendEvent({ session, event: structuredClone(event), ...(signal ? { signal } : {}) });
      report.events.copied++;
    } catch (e) {
      // The rest of this session would be out of order without this event: stop it here, and say so.
      if (signal?.aborted) throw e;
      stopped.add(key);
      report.problems.push({ userId: session.userId, sessionId: session.id, eventId: event.id, reason: `not stored: ${(e as Error).message}` });
    }
    progress('appending', ++appended, pending.length);
  };
  // Sessions are appended to side by side, each in its own order; an event that changes app or
  // user state waits until everything before it is stored, and goes alone.
  const inflight = new Set<Promise<void>>();
  const chains = new Map<string, Promise<void>>();
  for (const { key, event } of pending) {
    signal?.throwIfAborted();
    const shared = sharesState(event);
    if (shared) await Promise.all(inflight);
    while (inflight.size >= APPEND_CONCURRENCY) await Promise.race(inflight);
    const step: Promise<void> = (chains.get(key) ?? Promise.resolve()).then(() => appendOne(key, event));
    const tracked = step.finally(() => inflight.delete(tracked));
    inflight.add(tracked);
    chains.set(key, tracked);
    if (shared) await tracked;
  }
  await Promise.all(inflight);

  // Read back: the destination must show what the source shows.
  for (const [i, s] of sources.entries()) {
    signal?.throwIfAborted();
    if (!targets.has(keyOf(s)) || stopped.has(keyOf(s))) continue;
    const copy = await to.getSession({ appName, userId: s.userId, sessionId: s.id });
    const difference = copy ? differenceOf(s, copy) : 'missing after the copy';
    if (difference) report.problems.push({ userId: s.userId, sessionId: s.id, reason: difference });
    progress('verifying', i + 1, sources.length);
  }
  return report;
}

/** What makes two copies of an event the same: id, time, author, content and state changes, keys in order. */
function fingerprint(e: Event): string {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- events of other services may come without actions
  return canonical({ id: e.id, timestamp: e.timestamp, author: e.author, content: e.content, stateDelta: e.actions?.stateDelta ?? {} });
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`;
  }
  // undefined and functions have no JSON: read as null, as JSON.stringify reads them in arrays.
  return value === undefined || typeof value === 'function' ? 'null' : JSON.stringify(value);
}

/** How a copied session reads differently from its source, or undefined when it reads the same. */
function differenceOf(source: Session, copy: Session): string | undefined {
  const ids = (s: Session) => s.events.map((e) => `${e.id}@${e.timestamp}`).join(',');
  if (ids(source) !== ids(copy)) return 'events differ (ids, order or timestamps)';
  const changed = source.events.filter((e, i) => fingerprint(e) !== fingerprint(copy.events[i]!)).map((e) => e.id);
  if (changed.length) return `events differ in author, content or state changes: ${changed.join(', ')}`;
  const a = trimTempState(source.state);
  const b = trimTempState(copy.state);
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  return keys.length ? `state differs at ${keys.join(', ')}` : undefined;
}
