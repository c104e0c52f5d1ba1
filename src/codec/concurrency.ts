import { setMaxListeners } from 'node:events';
/**
 * Maps over items with at most `limit` calls in flight, keeping order. After a failure no new
 * call starts, the ones in flight are awaited, and the first error is thrown: nothing keeps
 * running once the returned promise has settled.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  });
  await Promise.all(workers);
  if (failure) throw failure.error;
  return out;
}

/**
 * Runs independent steps of one call in parallel. The first failure aborts the others (through
 * the signal each step gets, linked to the caller's), all are awaited, and that first failure is
 * thrown, so a failed call leaves no request running behind it.
 */
export async function together<T extends unknown[]>(
  parent: AbortSignal | undefined,
  ...steps: { [K in keyof T]: (signal: AbortSignal) => Promise<T[K]> }
): Promise<T> {
  const { controller, release } = linkedSignal(parent);
  let failure: { error: unknown } | undefined;
  try {
    const settled = await Promise.allSettled(
      steps.map((step) =>
        step(controller.signal).catch((error: unknown) => {
          if (!failure) {
            failure = { error };
            controller.abort();
          }
          throw error;
        }),
      ),
    );
    if (failure) throw failure.error;
    return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as T;
  } finally {
    release();
  }
}

/**
 * Runs independent steps of one call in parallel and lets every step finish even when one fails,
 * then throws the first failure. For steps that write: a write that was already on its way when
 * a sibling failed is not cut off (it could still land unseen); its outcome is known, and the
 * caller's own signal still stops everything.
 */
export async function allToCompletion<T extends unknown[]>(
  parent: AbortSignal | undefined,
  ...steps: { [K in keyof T]: (signal: AbortSignal) => Promise<T[K]> }
): Promise<T> {
  const { signal, release } = linkedSignal(parent);
  try {
    const settled = await Promise.allSettled(steps.map((step) => step(signal)));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as T;
  } finally {
    release();
  }
}

/**
 * A signal of this call's own that follows the caller's: the caller's signal gets one listener
 * however many requests run, and this one takes any number (a session read can run hundreds).
 */
function linkedSignal(parent: AbortSignal | undefined): { controller: AbortController; signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const onParentAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  return { controller, signal: controller.signal, release: () => parent?.removeEventListener('abort', onParentAbort) };
}

/**
 * Runs the work given for one key one at a time, in call order; work for other keys runs freely.
 * A failure rejects only its own caller (the next work still runs), and idle keys are forgotten.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const next = (this.tails.get(key) ?? Promise.resolve()).catch(() => undefined).then(work);
    this.tails.set(key, next);
    // Both branches handled, so a failure rejects only to the caller, never unhandled.
    const forget = () => {
      if (this.tails.get(key) === next) this.tails.delete(key);
    };
    next.then(forget, forget);
    return next;
  }
}
