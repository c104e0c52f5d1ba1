import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FaultRule } from './faults.js';

/** A parsed request as the reference servers' handlers see it. */
export interface Incoming {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body; undefined when there was none. */
  body: unknown;
  /** Set when the body was present but not JSON. */
  bodyError?: string;
}

export interface Outgoing {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Work done after the response is sent, as FastAPI runs an endpoint's BackgroundTasks. */
  after?: () => unknown;
}

export type Handler = (req: Incoming) => Outgoing | Promise<Outgoing>;

/** Answers a request itself on the raw response (true), or leaves it to the JSON handler (false). */
export type Intercept = (req: http.IncomingMessage, res: http.ServerResponse, incoming: Incoming) => boolean | Promise<boolean>;

/** Hooks the fault injector uses: decide per request, and shape an error body in the API's style. */
export interface ServeFaults {
  take(method: string, path: string, url: string): FaultRule | undefined;
  errorBody(status: number): unknown;
}

export interface RunningServer {
  url: string;
  port: number;
  /** Resolves once the work of every response already sent (`Outgoing.after`) is done. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** Serves a handler on loopback; `close()` also drops kept-alive connections so nothing lingers. */
export async function serve(
  handler: Handler,
  port = 0,
  host = '127.0.0.1',
  faults?: ServeFaults,
  latencyMs = 0,
  intercept?: Intercept,
): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const afterWork = new Set<Promise<unknown>>();
  const runAfter = (out: Outgoing) => {
    if (!out.after) return;
    // A failure of that work has no caller to report to, as on the real server.
    const work = Promise.resolve()
      .then(out.after)
      .catch(() => undefined);
    afterWork.add(work);
    void work.finally(() => afterWork.delete(work));
  };
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://reference');
      const incoming: Incoming = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: undefined };
      if (raw.length) {
        try {
          incoming.body = JSON.parse(raw);
        } catch {
          incoming.bodyError = 'request body is not valid JSON';
        }
      }
      // One network round trip, paid once per request/response exchange.
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      if (intercept && (await intercept(req, res, incoming))) return;
      const fault = faults?.take(incoming.method, incoming.path, req.url ?? incoming.path);
      if (fault?.kind === 'hang') return;
      if (fault?.kind === 'reset-before') return void req.socket.destroy();
      if (fault?.kind === 'status') {
        const status = fault.status ?? 503;
        const text = JSON.stringify(faults!.errorBody(status));
        res.writeHead(status, { 'content-type': 'application/json', ...(fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {}) });
        return void res.end(text);
      }
      const out = await handler(incoming);
      // The answer goes out as usual; the work after it (Agent Memory Server's indexing) is lost.
      if (fault?.kind === 'lose-after-work') delete out.after;
      if (fault?.kind === 'reset-after') return void req.socket.destroy();
      if (fault?.kind === 'malformed') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end('{"truncated": [1, 2');
      }
      if (fault?.kind === 'invalid-body') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ unexpected: 'shape' }));
      }
      const headers: Record<string, string> = { ...(out.headers ?? {}) };
      if (out.body === undefined) {
        res.writeHead(out.status, headers);
        res.end();
        runAfter(out);
        return;
      }
      const text = JSON.stringify(out.body);
      res.writeHead(out.status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
      res.end(text);
      runAfter(out);
    } catch (e) {
      const text = JSON.stringify({
        title: 'Internal Server Error',
        status: 500,
        type: '/errors/unexpected-error',
        detail: e instanceof Error ? e.message : String(e),
      });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(text);
    }
  };
  // handle answers every failure itself (500), so nothing it does can become an unhandled rejection.
  const server = http.createServer((req, res) => void handle(req, res));
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    port: bound,
    settled: async () => {
      while (afterWork.size) await Promise.all([...afterWork]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Matches `/a/{x}/b` style templates; returns the decoded parameters or undefined. With
 * `decodeFirst` the whole path is decoded before it is split, as Starlette (Agent Memory Server)
 * routes: an encoded `/` (`%2F`) in a parameter then separates segments and nothing matches.
 */
export function match(template: string, path: string, decodeFirst = false): Record<string, string> | undefined {
  const t = template.split('/');
  const p = (decodeFirst ? safeDecode(path) : path).split('/');
  if (t.length !== p.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const seg = t[i]!;
    if (seg.startsWith('{') && seg.endsWith('}')) {
      if (!p[i]) return undefined;
      params[seg.slice(1, -1)] = decodeFirst ? p[i]! : decodeURIComponent(p[i]!);
    } else if (seg !== p[i]) return undefined;
  }
  return params;
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 3339 date-time, as OpenAPI's `format: date-time` means it. */
export const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
