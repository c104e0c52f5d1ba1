import type { Session } from '@google/adk';

/**
 * The Agent Memory Server working memory of a session, where it is not the one its ADK id names
 * (a session in its app's slot: see `amsAppSlotSessionId`). The session service notes it on the
 * Session objects it returns, which ADK hands on to tools unchanged, so the memory prompt and the
 * MCP toolset address that session's own working memory without asking the server first.
 */
const workingMemoryIds = new WeakMap<Session, string>();

export function noteWorkingMemoryId(session: Session, id: string | undefined): Session {
  if (id !== undefined) workingMemoryIds.set(session, id);
  return session;
}

export function workingMemoryIdOf(session: Session): string | undefined {
  return workingMemoryIds.get(session);
}
