import createClient, { createQuerySerializer, type Client } from 'openapi-fetch';
import type { FetchLike } from './config.js';
import type { RetryPolicy } from './invoke.js';

/**
 * What openapi-fetch builds for each call when no custom fetch is configured: the URL and init,
 * handed straight to the global fetch. Building a full `Request` (openapi-fetch's default) costs
 * more than the rest of the client together on a loopback call; openapi-fetch itself only reads
 * `method`, and copies per-call options such as `signal` onto the object.
 */
class PlainRequest {
  readonly method: string;
  signal?: AbortSignal;
  constructor(
    readonly url: string,
    readonly init: RequestInit & { method?: string },
  ) {
    this.method = (init.method ?? 'GET').toUpperCase();
  }
}

function plainFetch(request: PlainRequest | Request): Promise<Response> {
  if (request instanceof PlainRequest) return globalThis.fetch(request.url, { ...request.init, signal: request.signal ?? request.init.signal ?? null });
  return globalThis.fetch(request);
}

/** Builds the openapi-fetch client shared by a backend's methods. */
export function createHttp<Paths extends {}>(baseUrl: string, apiKey: string | undefined, fetchImpl: FetchLike | undefined): Client<Paths> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  // Built once: openapi-fetch otherwise builds the default serializer again on every call.
  const querySerializer = createQuerySerializer();
  if (fetchImpl) return createClient<Paths>({ baseUrl, headers, querySerializer, fetch: fetchImpl });
  // A custom fetch gets a real Request; the default path skips building one.
  return createClient<Paths>({ baseUrl, headers, querySerializer, fetch: plainFetch as unknown as FetchLike, Request: PlainRequest as unknown as typeof Request });
}

export function retryPolicy(options: { timeout: number; maxRetries: number; retryBaseDelay: number }): RetryPolicy {
  return {
    timeoutMs: Math.round(options.timeout * 1000),
    maxRetries: options.maxRetries,
    baseDelayMs: Math.round(options.retryBaseDelay * 1000),
  };
}
