import { AgentMemoryError, ConnectionError, InvalidResponseError, RateLimitError, RequestAbortedError, RequestTimeoutError } from './errors.js';
import { errorFromResponse, parseRetryAfter } from './problem.js';
import { responseProblem, type ResponseSpec } from './responses.js';
import { textOf } from '../codec/json.js';
import { noteRetry } from '../telemetry/telemetry.js';

/** Per-call options accepted by every client method. */
export interface RequestOptions {
  /** Aborts the call, including any retry waits. */
  signal?: AbortSignal | undefined;
}

export interface RetryPolicy {
  /** Per-attempt timeout in milliseconds. */
  timeoutMs: number;
  /** Attempts after the first. */
  maxRetries: number;
  /** First backoff delay in milliseconds; doubles each retry, with jitter. */
  baseDelayMs: number;
  /** A controller for one attempt: an AbortController, or the node transport's cheaper handle. */
  newAttempt: () => AttemptController;
}

/** What cancels one attempt: `signal` goes to the transport, `abort` stops it. */
export interface AttemptController {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
}

/** What the operation is, for error messages and for deciding whether a replay is safe. */
export interface OperationInfo {
  name: string;
  /**
   * True when repeating the request cannot change the outcome (reads, PUT, DELETE, writes keyed
   * by a client id). Non-idempotent calls are retried only when the backend certainly did not
   * act on them (429) unless the caller says replays are harmless.
   */
  idempotent: boolean;
  /** The spec's success response, checked before the body is handed back. */
  response: ResponseSpec;
}

/** The shape openapi-fetch resolves to. */
export interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

const MAX_BACKOFF_MS = 30_000;

/**
 * Runs one backend call with a per-attempt timeout, bounded retries with exponential backoff
 * (honouring Retry-After), and typed errors. Resolves only with a successful response's data.
 */
export async function invoke<T>(
  op: OperationInfo,
  policy: RetryPolicy,
  attempt: (signal: AbortSignal) => Promise<FetchResult<T>>,
  options: RequestOptions = {},
): Promise<T> {
  for (let tries = 0; ; tries++) {
    const failure = await attemptOnce(op, policy, attempt, options.signal);
    if (!(failure instanceof AgentMemoryError)) return failure.value;
    const canRetry = tries < policy.maxRetries && failure.retryable && (op.idempotent || failure.status === 429);
    if (!canRetry) throw failure;
    const wait = backoffMs(policy, tries, failure);
    noteRetry({ status: failure.status, name: failure.constructor.name }, wait);
    await sleep(wait, options.signal, op.name);
  }
}

/**
 * Calls `call` again on a retried request's schedule (`maxRetries`, doubling backoff from
 * `baseDelayMs`, with jitter) while it fails with an error `passing` takes for a passing state of
 * the backend rather than an answer; then the last failure is thrown. For answers a backend can give
 * wrongly while it recovers, such as Agent Memory Server's 404 for a working memory it could not read.
 */
export async function retryingWhile<T>(
  policy: Pick<RetryPolicy, 'maxRetries' | 'baseDelayMs'>,
  operation: string,
  passing: (error: unknown) => boolean,
  call: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await call();
    } catch (error) {
      if (tries >= policy.maxRetries || !passing(error) || !(error instanceof AgentMemoryError)) throw error;
      const wait = backoffMs(policy, tries, error);
      noteRetry({ status: error.status, name: error.constructor.name }, wait);
      await sleep(wait, signal, operation);
    }
  }
}

async function attemptOnce<T>(
  op: OperationInfo,
  policy: RetryPolicy,
  attempt: (signal: AbortSignal) => Promise<FetchResult<T>>,
  callerSignal: AbortSignal | undefined,
): Promise<{ value: T } | AgentMemoryError> {
  if (callerSignal?.aborted) return aborted(op.name, callerSignal.reason);
  // One controller per attempt, aborted by the timer or by the caller; cheaper than combining signals.
  const controller = policy.newAttempt();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, policy.timeoutMs);
  const onCallerAbort = () => controller.abort(callerSignal?.reason);
  callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  let result: FetchResult<T>;
  try {
    result = await attempt(controller.signal);
  } catch (cause) {
    if (callerSignal?.aborted) return aborted(op.name, callerSignal.reason);
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the timer callback, which the compiler does not follow
    if (timedOut) {
      return new RequestTimeoutError(`${op.name} timed out after ${policy.timeoutMs / 1000}s`, {
        operation: op.name,
        type: 'timeout',
        retryable: true,
      });
    }
    if (cause instanceof SyntaxError) {
      return new InvalidResponseError(`${op.name} returned a body that is not valid JSON`, {
        operation: op.name,
        type: 'invalid-response',
        retryable: true,
      });
    }
    return new ConnectionError(`${op.name} could not reach the backend: ${describeNetworkError(cause)}`, {
      operation: op.name,
      type: 'connection',
      retryable: true,
    });
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener('abort', onCallerAbort);
  }
  const { response } = result;
  if (!response.ok) {
    return errorFromResponse(op.name, response.status, result.error, parseRetryAfter(response.headers.get('retry-after')));
  }
  const problem = responseProblem(op.response, result.data);
  if (problem) {
    return new InvalidResponseError(`${op.name} returned a body that does not match the API (${problem})`, {
      operation: op.name,
      status: response.status,
      type: 'invalid-response',
      retryable: true,
    });
  }
  return { value: result.data as T };
}

function aborted(operation: string, reason: unknown): RequestAbortedError {
  const why = reason instanceof Error ? reason.message : reason === undefined ? 'aborted' : textOf(reason);
  return new RequestAbortedError(`${operation} was aborted by the caller (${why})`, { operation, type: 'aborted' });
}

/** Only the error code and message: never the request, whose headers hold the API key. */
function describeNetworkError(cause: unknown): string {
  const inner = cause instanceof Error && cause.cause instanceof Error ? cause.cause : cause;
  if (inner instanceof Error) {
    const code = (inner as Error & { code?: unknown }).code;
    return typeof code === 'string' ? `${code} ${inner.message}` : inner.message;
  }
  return String(inner);
}

function backoffMs(policy: Pick<RetryPolicy, 'baseDelayMs'>, tries: number, failure: AgentMemoryError): number {
  const hinted = failure instanceof RateLimitError ? failure.retryAfterMs : undefined;
  if (hinted !== undefined) return Math.min(hinted, MAX_BACKOFF_MS);
  const exp = policy.baseDelayMs * 2 ** tries;
  return Math.min(exp / 2 + Math.random() * (exp / 2), MAX_BACKOFF_MS);
}

/** Waits `ms`, or rejects with a RequestAbortedError naming `operation` once `signal` fires. */
export function sleep(ms: number, signal: AbortSignal | undefined, operation: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted(operation, signal.reason));
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted(operation, signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
