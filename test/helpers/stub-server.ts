import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type StubHandler = (req: http.IncomingMessage, res: http.ServerResponse, attempt: number) => void;

export interface StubServer {
  url: string;
  /** Requests received so far. */
  readonly hits: number;
  close(): Promise<void>;
}

/** A tiny loopback HTTP server whose behaviour per attempt is scripted by the test. */
export async function startStub(handler: StubHandler): Promise<StubServer> {
  let hits = 0;
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    hits++;
    handler(req, res, hits);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get hits() {
      return hits;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
