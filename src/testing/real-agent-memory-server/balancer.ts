/**
 * A loopback HTTP balancer in front of several API processes, as a deployment puts one in front of
 * the server: each request goes to the next process in turn; a process that refuses the connection
 * (stopped, restarting) is passed over for the next one, as a proxy's "next upstream on error"
 * does, and so is a failed idempotent request; a POST to a process that dies with it in flight
 * answers 502, which clients retry.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

export interface Balancer {
  url: string;
  /** Requests each upstream answered (by its URL), and those no upstream could take. */
  counts(): { byUpstream: Record<string, number>; refused: number };
  close(): Promise<void>;
}

export async function startBalancer(upstreams: () => readonly string[]): Promise<Balancer> {
  const agent = new http.Agent({ keepAlive: true });
  const byUpstream: Record<string, number> = {};
  let refused = 0;
  let next = 0;
  const server = http.createServer((req, res) => {
    // The body is read once, so that a refused connection can be retried on the next process.
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => forward(req, res, Buffer.concat(chunks), next++, 0));
  });
  /** Tries the upstreams from `first` on, each once: the turn is taken once per request, not per try. */
  const forward = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, first: number, tried: number) => {
    const list = upstreams();
    if (tried >= list.length) {
      refused++;
      res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'no API process accepted the connection' }));
      return;
    }
    const upstream = list[(first + tried) % list.length]!;
    const target = new URL(req.url ?? '/', upstream);
    let connected = false;
    const out = http.request(target, { method: req.method, headers: { ...req.headers, host: target.host }, agent }, (answer) => {
      byUpstream[upstream] = (byUpstream[upstream] ?? 0) + 1;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    out.on('socket', (socket) => {
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => (connected = true));
    });
    out.on('error', (e: NodeJS.ErrnoException) => {
      if (res.headersSent) return void res.destroy();
      // Nothing reached a process that refused the connection, and a request that may be repeated
      // (a kept-alive connection to a process that has since died) goes to the next one, as a
      // proxy's "next upstream on error" does; anything else answers 502.
      if (!connected || IDEMPOTENT.has(req.method ?? '')) return forward(req, res, body, first, tried + 1);
      res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: `the API process failed: ${e.message}` }));
    });
    out.end(body);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ byUpstream: { ...byUpstream }, refused }),
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
