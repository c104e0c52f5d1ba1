import http from 'node:http';
import https from 'node:https';
import { countAttempt } from '../telemetry/calls.js';

/**
 * The default transport of the clients: node:http(s) with keep-alive, behind the small part of
 * the fetch interface openapi-fetch and `invoke` use. Measured on loopback it costs about half the
 * client CPU of undici's `fetch` per request, and its cancellation needs no AbortSignal: undici
 * spends 30–50 µs on the signal every per-attempt timeout needs (docs/performance.md). A custom
 * `fetch` option replaces it entirely.
 */

// Idle sockets are closed after 4 s, before common servers' keep-alive timeouts (uvicorn's is 5 s),
// so a request is not written to a socket the server is closing. The socket timeout ends only
// idle sockets: a request waiting longer on its answer is not affected (its own timer rules).
const KEEP_ALIVE = { keepAlive: true, timeout: 4_000 };
const AGENTS = {
  'http:': new http.Agent(KEEP_ALIVE),
  'https:': new https.Agent(KEEP_ALIVE),
};

/** Cancels one attempt: what AbortController does for fetch, without building an AbortSignal. */
export class AttemptCancel {
  aborted = false;
  reason: unknown;
  private listener: ((reason: unknown) => void) | undefined;

  /** Stands in for `controller.signal`; the transport recognises it. */
  get signal(): AbortSignal {
    return this as unknown as AbortSignal;
  }

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason ?? new Error('aborted');
    this.listener?.(this.reason);
  }

  /** One listener: the request in flight. */
  onAbort(listener: ((reason: unknown) => void) | undefined): void {
    this.listener = listener;
  }
}

/** The request openapi-fetch hands over: URL and init, as built by PlainRequest. */
export interface TransportRequest {
  url: string;
  init: { method?: string; headers?: HeadersInit; body?: unknown; signal?: AbortSignal | null };
}

class ResponseHeaders {
  constructor(private readonly raw: http.IncomingHttpHeaders) {}
  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }
  has(name: string): boolean {
    return this.raw[name.toLowerCase()] !== undefined;
  }
}

/** A fully received response, with the parts of `Response` the clients read. */
export class TransportResponse {
  readonly ok: boolean;
  readonly headers: ResponseHeaders;
  readonly bodyUsed = false;
  constructor(
    readonly status: number,
    readonly statusText: string,
    headers: http.IncomingHttpHeaders,
    private readonly body: string,
    readonly url: string,
  ) {
    this.ok = status >= 200 && status < 300;
    this.headers = new ResponseHeaders(headers);
  }
  text(): Promise<string> {
    return Promise.resolve(this.body);
  }
  /** As `Response.json()`: a body that is not JSON (including an empty one) rejects with SyntaxError. */
  json(): Promise<unknown> {
    return new Promise((resolve) => resolve(JSON.parse(this.body) as unknown));
  }
}

function headerRecord(headers: HeadersInit | undefined): Record<string, string> {
  if (!headers) return {};
  if (headers instanceof Headers) {
    const out: Record<string, string> = {};
    headers.forEach((value, key) => (out[key] = value));
    return out;
  }
  if (Array.isArray(headers)) return Object.fromEntries(headers);
  return { ...headers };
}

/** Sends one request and resolves once the whole response body has arrived. */
export function nodeFetch(request: TransportRequest): Promise<TransportResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(request.url);
    const signal = request.init.signal as unknown as AttemptCancel | AbortSignal | null | undefined;
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the caller's abort reason, passed on as fetch does
    if (signal?.aborted) return reject(signal.reason);
    const body = request.init.body;
    if (body !== undefined && body !== null && typeof body !== 'string') return reject(new TypeError('the default transport sends string bodies only'));
    const headers = headerRecord(request.init.headers);
    const sent = typeof body === 'string' ? Buffer.byteLength(body) : 0;
    if (typeof body === 'string') headers['content-length'] = String(sent);
    const agent = url.protocol === 'https:' ? AGENTS['https:'] : AGENTS['http:'];
    const send = url.protocol === 'https:' ? https.request : http.request;
    let settled = false;
    let detach = () => {};
    const finish = (error: unknown, response?: TransportResponse, received = 0) => {
      if (settled) return;
      settled = true;
      detach();
      countAttempt(sent, received);
      if (response) resolve(response);
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a socket error or the caller's abort reason, passed on as fetch does
      else reject(error);
    };
    const req = send(url, { method: request.init.method ?? 'GET', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      // A response cut short always ends in 'close' without `complete`; listening for 'error' too
      // keeps such an event from being thrown.
      res.on('error', (e) => finish(e));
      res.on('close', () => {
        if (!res.complete) finish(Object.assign(new Error('the connection closed before the response was complete'), { code: 'ECONNRESET' }));
      });
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        finish(undefined, new TransportResponse(res.statusCode ?? 0, res.statusMessage ?? '', res.headers, bytes.toString('utf8'), request.url), bytes.length);
      });
    });
    req.on('error', (e) => finish(e));
    const onAbort = (reason: unknown) => {
      req.destroy();
      finish(reason);
    };
    if (signal instanceof AttemptCancel) {
      signal.onAbort(onAbort);
      detach = () => signal.onAbort(undefined);
    } else if (signal) {
      const listener = () => onAbort(signal.reason);
      signal.addEventListener('abort', listener, { once: true });
      detach = () => signal.removeEventListener('abort', listener);
    }
    req.end(body ?? undefined);
  });
}
