import { AsyncLocalStorage } from 'node:async_hooks';
import type { Span } from '@opentelemetry/api';

/**
 * What one service call has sent so far: requests, retries and bytes, counted by the transport and
 * the retry loop while the call runs. A call made inside another (getOrCreateSession's getSession)
 * counts into both.
 */
export class CallRecord {
  requests = 0;
  retries = 0;
  requestBytes = 0;
  responseBytes = 0;

  constructor(
    readonly backend: string,
    readonly operation: string,
    readonly span: Span,
    readonly parent: CallRecord | undefined,
  ) {}
}

const calls = new AsyncLocalStorage<CallRecord>();

/** Runs `work` as the call `record` describes: the transport and the retry loop count into it. */
export function withCall<T>(record: CallRecord, work: () => Promise<T>): Promise<T> {
  return calls.run(record, work);
}

/** The service call running now, if any. */
export function currentCall(): CallRecord | undefined {
  return calls.getStore();
}

/** Counts one HTTP attempt into the running call (and the calls around it). */
export function countAttempt(requestBytes: number, responseBytes: number): void {
  for (let c = calls.getStore(); c; c = c.parent) {
    c.requests += 1;
    c.requestBytes += requestBytes;
    c.responseBytes += responseBytes;
  }
}
