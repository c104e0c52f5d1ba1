import { NotFoundError } from '../clients/errors.js';

/** The call's result, or undefined when the backend answers 404: for calls where absence is an answer, not a failure. */
export async function unlessMissing<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}

/**
 * An append to a session that does not exist (never created, deleted, expired): rejected with the
 * message ADK's DatabaseSessionService gives, and nothing of the append stored.
 */
export function sessionNotFound(sessionId: string): NotFoundError {
  return new NotFoundError(`Session ${sessionId} not found for appendEvent`, { operation: 'appendEvent', status: 404, type: 'session-not-found' });
}

/** Whether an error is `sessionNotFound`'s. */
export function isSessionNotFound(error: unknown): boolean {
  return error instanceof NotFoundError && error.type === 'session-not-found';
}
