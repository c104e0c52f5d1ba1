import { readFileSync } from 'node:fs';

/** Requests and bytes one measured piece of work sent and received. */
export interface Meter {
  requests: number;
  requestBytes: number;
  responseBytes: number;
  urls: string[];
  /** When set, every request as sent (to send it again: bench/request-classes.ts). */
  recorded?: { method: string; url: string; body?: string | undefined }[];
}

export const newMeter = (): Meter => ({ requests: 0, requestBytes: 0, responseBytes: 0, urls: [] });

/** A fetch that counts into the meter `current()` returns when a request starts (none: plain fetch). */
export function meteringFetch(current: () => Meter | undefined): (req: Request) => Promise<Response> {
  return async (req) => {
    const m = current();
    if (!m) return fetch(req);
    m.requests++;
    m.urls.push(`${req.method} ${new URL(req.url).pathname}${new URL(req.url).search}`);
    // Measured first, then added: `x += await y` would read x before the await and lose a concurrent request's bytes.
    const body = req.body ? await req.clone().arrayBuffer() : undefined;
    const sent = body ? body.byteLength : 0;
    m.requestBytes += sent;
    m.recorded?.push({ method: req.method, url: req.url, body: body ? Buffer.from(body).toString('utf8') : undefined });
    const res = await fetch(req);
    const received = (await res.clone().arrayBuffer()).byteLength;
    m.responseBytes += received;
    return res;
  };
}

/** The API server process's CPU time (user + system), in µs. */
export function cpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
}

/** Commands the server's Redis has run so far (INFO commandstats; the INFO itself counts once). */
export async function redisCalls(server: { redisCli(...args: string[]): Promise<string> }): Promise<number> {
  const stats = await server.redisCli('INFO', 'commandstats');
  let total = 0;
  for (const m of stats.matchAll(/calls=(\d+)/g)) total += Number(m[1]);
  return total;
}
