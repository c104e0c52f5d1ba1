import type { BaseSessionService } from '@google/adk';
import { invalidInput } from '../clients/invalid-input.js';
import type { RedisLongTermMemoryService } from '../services/memory-service.js';
import { RedisSessionMemoryService } from '../services/session-service.js';

/** What forgetUser deleted. */
export interface ForgetUserReport {
  /** Ids of the user's sessions deleted. */
  sessions: string[];
  /** Whether the user's `user:` state (and registry entry) was erased; ADK's own services keep no way to. */
  userState: boolean;
  /** How many long-term memories were deleted (0 without a memory service). */
  memories: number;
}

/**
 * Erases everything a user has in one app: every session with what is kept beside it, the user's
 * `user:` state, and every long-term memory of the user in that scope, the backend's extracted
 * ones included. Sessions go first, so no extraction can start from them afterwards. Other users'
 * data is untouched.
 */
export async function forgetUser(options: {
  sessionService: BaseSessionService;
  memoryService?: RedisLongTermMemoryService;
  appName: string;
  userId: string;
  signal?: AbortSignal;
}): Promise<ForgetUserReport> {
  const { sessionService, memoryService, appName, userId, signal } = options;
  if (typeof appName !== 'string' || !appName) throw invalidInput('forgetUser', 'appName', 'must be a non-empty string');
  if (typeof userId !== 'string' || !userId) throw invalidInput('forgetUser', 'userId', 'must be a non-empty string');
  let sessions: string[];
  let userState = false;
  if (sessionService instanceof RedisSessionMemoryService) {
    sessions = (await sessionService.forgetUser({ appName, userId, ...(signal ? { signal } : {}) })).sessions;
    userState = true;
  } else {
    // Any other ADK service: its own listing and deletes (its user state cannot be reached).
    const listed = (await sessionService.listSessions({ appName, userId })).sessions.filter((s) => s.userId === userId);
    for (const s of listed) {
      signal?.throwIfAborted();
      await sessionService.deleteSession({ appName, userId, sessionId: s.id });
    }
    sessions = listed.map((s) => s.id);
  }
  const memories = memoryService ? (await memoryService.forgetUser({ appName, userId, ...(signal ? { signal } : {}) })).memories : 0;
  return { sessions, userState, memories };
}
