import type { BaseSessionService, Session } from '@google/adk';
import { eventFromJson, eventToJson } from '../codec/events.js';
import { isRecord } from '../codec/json.js';
import { asSource, type SessionSource } from './copy.js';

/** The export format's version: one JSON object per line, one session per object. */
export const EXPORT_VERSION = 1;

/** One session as a line of the JSON-lines export: its identity, state and events. */
export interface ExportedSession {
  v: number;
  appName: string;
  userId: string;
  id: string;
  lastUpdateTime: number;
  /** The merged state as the source returns it (`app:`, `user:` and the session's own keys). */
  state: Record<string, unknown>;
  /** Every event whole, as ADK holds it (ids, timestamps, content, actions). */
  events: unknown[];
}

/** One session as a line of the export (no trailing newline). */
export function exportLine(session: Session): string {
  const line: ExportedSession = {
    v: EXPORT_VERSION,
    appName: session.appName,
    userId: session.userId,
    id: session.id,
    lastUpdateTime: session.lastUpdateTime,
    state: session.state,
    events: session.events.map((e) => eventToJson(e, 'exportSessions')),
  };
  return JSON.stringify(line);
}

/** Writes every session of the app (or of one user) as JSON lines; returns how many. */
export async function exportSessions(options: {
  from: BaseSessionService | SessionSource;
  appName: string;
  userId?: string;
  write: (line: string) => void | Promise<void>;
  signal?: AbortSignal;
  onProgress?: (done: number) => void;
}): Promise<number> {
  const source = asSource(options.from);
  let n = 0;
  for await (const session of source.sessions(options.appName, options.userId, options.signal)) {
    await options.write(`${exportLine(session)}\n`);
    n++;
    options.onProgress?.(n);
  }
  return n;
}

/** A line of the export read back into an ADK session; the error names the line and the field. */
export function parseExportLine(text: string, lineNumber: number): Session {
  const fail = (what: string): never => {
    throw new Error(`line ${lineNumber}: ${what}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('is not JSON');
  }
  if (!isRecord(value)) return fail('is not a JSON object');
  if (value.v !== EXPORT_VERSION) fail(`v must be ${EXPORT_VERSION}`);
  for (const field of ['appName', 'userId', 'id'] as const) if (typeof value[field] !== 'string' || !value[field]) fail(`${field} must be a non-empty string`);
  if (!isRecord(value.state)) fail('state must be an object');
  if (!Array.isArray(value.events)) fail('events must be an array');
  return {
    appName: value.appName as string,
    userId: value.userId as string,
    id: value.id as string,
    state: value.state as Record<string, unknown>,
    events: (value.events as unknown[]).map((e) => eventFromJson(e, 'importSessions')),
    lastUpdateTime: typeof value.lastUpdateTime === 'number' ? value.lastUpdateTime : 0,
  };
}

/** Exported sessions as a source for copySessions: the lines of one app (and user, when given). */
export function exportedSource(lines: AsyncIterable<string>): SessionSource {
  return {
    async *sessions(appName, userId, signal) {
      let n = 0;
      for await (const line of lines) {
        n++;
        signal?.throwIfAborted();
        if (!line.trim()) continue;
        const session = parseExportLine(line, n);
        if (session.appName === appName && (userId === undefined || session.userId === userId)) yield session;
      }
    },
  };
}
