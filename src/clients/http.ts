import createClient, { createQuerySerializer, type Client } from 'openapi-fetch';
import type { FetchLike } from './config.js';
import type { AttemptController, RetryPolicy } from './invoke.js';
import { AttemptCancel, nodeFetch } from './node-transport.js';
import { countAttempt, currentCall } from '../telemetry/calls.js';

/**
 * What openapi-fetch builds for each call when no custom fetch is configured: the URL and init,
 * handed straight to the node transport. Building a full `Request` (openapi-fetch's default) costs
 * more than the rest of the client together on a loopback call; openapi-fetch itself only reads
 * `method`, and copies per-call options such as `signal` onto the object.
 */
class PlainRequest {
  readonly method: string;
  constructor(
    readonly url: string,
    readonly init: RequestInit & { method?: string },
  ) {
    this.method = (init.method ?? 'GET').toUpperCase();
  }
}

/** The openapi-fetch clients of one backend client. */
export interface Http<Paths extends object> {
  /** Used by the client's methods: the node transport by default, or the configured fetch. */
  call: Client<Paths>;
  /** Exposed as `client.http` for calls the methods do not cover: standard fetch Responses. */
  http: Client<Paths>;
  /** A fresh controller per attempt, of the kind the transport listens to. */
  newAttempt: () => AttemptController;
}

const abortController = (): AttemptController => new AbortController();
const attemptCancel = (): AttemptController => new AttemptCancel();

export function createHttp<Paths extends object>(baseUrl: string, apiKey: string | undefined, fetchImpl: FetchLike | undefined): Http<Paths> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  // Built once: openapi-fetch otherwise builds the default serializer again on every call.
  const querySerializer = createQuerySerializer();
  const standard = createClient<Paths>({ baseUrl, headers, querySerializer, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
  // A custom fetch gets a real Request and AbortSignal; the default path builds neither.
  if (fetchImpl) {
    const call = createClient<Paths>({ baseUrl, headers, querySerializer, fetch: countingFetch(fetchImpl) });
    return { call, http: standard, newAttempt: abortController };
  }
  const call = createClient<Paths>({
    baseUrl,
    headers,
    querySerializer,
    fetch: nodeFetch as unknown as FetchLike,
    Request: PlainRequest as unknown as typeof Request,
  });
  return { call, http: standard, newAttempt: attemptCancel };
}

/**
 * A custom fetch that counts each attempt into the running service call, measuring the bodies only
 * while a span is recording it (the default transport counts what it sends and receives anyway).
 */
function countingFetch(fetchImpl: FetchLike): FetchLike {
  return async (req: Request) => {
    const measured = currentCall()?.span.isRecording() === true;
    const sent = measured && req.body ? (await req.clone().arrayBuffer()).byteLength : 0;
    let res: Response | undefined;
    try {
      res = await fetchImpl(req);
      return res;
    } finally {
      countAttempt(sent, measured && res ? (await res.clone().arrayBuffer()).byteLength : 0);
    }
  };
}

export function retryPolicy(options: { timeout: number; maxRetries: number; retryBaseDelay: number }, newAttempt: () => AttemptController): RetryPolicy {
  return {
    timeoutMs: Math.round(options.timeout * 1000),
    maxRetries: options.maxRetries,
    baseDelayMs: Math.round(options.retryBaseDelay * 1000),
    newAttempt,
  };
}
