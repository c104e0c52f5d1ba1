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
