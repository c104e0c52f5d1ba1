import createClient, { type Client } from 'openapi-fetch';
import type { FetchLike } from './config.js';
import type { RetryPolicy } from './invoke.js';

/** Builds the openapi-fetch client shared by a backend's methods. */
export function createHttp<Paths extends {}>(baseUrl: string, apiKey: string | undefined, fetchImpl: FetchLike | undefined): Client<Paths> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  return createClient<Paths>({
    baseUrl,
    headers,
    // Resolve the global lazily so test doubles installed after construction are honoured.
    fetch: fetchImpl ?? ((request: Request) => globalThis.fetch(request)),
  });
}

export function retryPolicy(options: { timeout: number; maxRetries: number; retryBaseDelay: number }): RetryPolicy {
  return {
    timeoutMs: Math.round(options.timeout * 1000),
    maxRetries: options.maxRetries,
    baseDelayMs: Math.round(options.retryBaseDelay * 1000),
  };
}
