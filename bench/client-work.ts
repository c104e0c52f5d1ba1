// Table 7 of `npm run bench`: the client's own work per request. A minimal HTTP server in this
// process answers every request at once with a prebuilt body, so the server's share of each call
// is the same small constant for every variant, and the differences between variants are client
// work: the SDK (openapi-fetch, its transport, the per-attempt timeout and cancellation, the
// response check) against plain `fetch` and against `fetch` with the same cancellation.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createAgentMemoryServerClient, createRedisAgentMemoryClient } from '../src/clients/index.js';

export interface ClientWorkRow {
  call: string;
  /** Median µs per call of plain fetch + JSON parse. */
  rawUs: number;
  /** The same with the cancellation the SDK gives every attempt: an AbortController and a timer. */
  rawCancellableUs: number;
  sdkUs: number;
  /** Median per-round difference, SDK minus plain fetch. */
  overRawUs: number;
  /** Median per-round difference, SDK minus cancellable fetch: the SDK's own work. */
  overCancellableUs: number;
}

const ROUNDS = 60;
const BATCH = 200;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function perCall(f: () => Promise<unknown>, n: number): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < n; i++) await f();
  return ((performance.now() - t) * 1000) / n;
}

/** Batches of the three variants, in a rotating order; medians of each and of the per-round differences. */
async function contrast(call: string, raw: (signal?: AbortSignal) => Promise<unknown>, sdk: () => Promise<unknown>): Promise<ClientWorkRow> {
  const cancellable = async () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 30_000);
    try {
      return await raw(controller.signal);
    } finally {
      clearTimeout(timer);
    }
  };
  const variants = [() => raw(), cancellable, sdk];
  for (let i = 0; i < 5; i++) for (const v of variants) await perCall(v, BATCH);
  const times: number[][] = [[], [], []];
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < 3; k++) {
      const which = (r + k) % 3;
      times[which]!.push(await perCall(variants[which]!, BATCH));
    }
  }
  const [raws, cancels, sdks] = times as [number[], number[], number[]];
  return {
    call,
    rawUs: median(raws),
    rawCancellableUs: median(cancels),
    sdkUs: median(sdks),
    overRawUs: median(sdks.map((t, i) => t - raws[i]!)),
    overCancellableUs: median(sdks.map((t, i) => t - cancels[i]!)),
  };
}

export async function clientWork(): Promise<ClientWorkRow[]> {
  let answer = '';
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(answer)) }).end(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const ram = createRedisAgentMemoryClient({ apiBaseUrl: base, apiKey: 'key', storeId: 'store' });
    const ams = createAgentMemoryServerClient({ apiBaseUrl: base });
    const json = { accept: 'application/json', 'content-type': 'application/json' };
    const rawCall = async (url: string, init: RequestInit, signal?: AbortSignal) => {
      const res = await fetch(url, signal ? { ...init, signal } : init);
      if (!res.ok) throw new Error(String(res.status));
      return res.json();
    };
    const rows: ClientWorkRow[] = [];

    const searchRequest = { text: 'what runs does the user like?', limit: 10 };
    answer = JSON.stringify({
      items: [
        {
          id: 'm1',
          text: 'likes tempo runs',
          createdAt: '2026-01-01T00:00:00Z',
          updatedAt: '2026-01-01T00:00:00Z',
          ownerId: 'u',
          namespace: 'app',
          memoryType: 'semantic',
        },
      ],
    });
    rows.push(
      await contrast(
        'Redis Agent Memory searchLongTermMemory',
        (signal) =>
          rawCall(
            `${base}/v1/stores/store/long-term-memory/search`,
            { method: 'POST', headers: { ...json, authorization: 'Bearer key' }, body: JSON.stringify(searchRequest) },
            signal,
          ),
        () => ram.searchLongTermMemory(searchRequest),
      ),
    );
    answer = JSON.stringify({
      session_id: 's1',
      namespace: 'app',
      user_id: 'u',
      messages: [{ id: 'e1', role: 'user', content: 'hi', created_at: '2026-01-01T00:00:00Z' }],
      memories: [],
      data: {},
    });
    rows.push(
      await contrast(
        'Agent Memory Server getWorkingMemory',
        (signal) => rawCall(`${base}/v1/working-memory/s1?namespace=app&user_id=u`, { headers: json }, signal),
        () => ams.getWorkingMemory('s1', { namespace: 'app', user_id: 'u' }),
      ),
    );
    return rows;
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
