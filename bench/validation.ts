// Section 6 of `npm run bench`: what checking response bodies against the spec costs. The
// responses a getSession receives are captured once, then each body is validated repeatedly
// with the generated validators (generated/*.validators.ts) and the median time is reported.
import { performance } from 'node:perf_hooks';
import { responses as amsResponses } from '../generated/agent-memory-server.validators.js';
import { responses as ramResponses } from '../generated/redis-agent-memory.validators.js';
import { AGENT_MEMORY_SERVER_OPERATIONS } from '../src/clients/agent-memory-server.js';
import { responseProblem } from '../src/clients/responses.js';

export interface CapturedBody {
  operation: string;
  body: unknown;
  bytes: number;
}

/** The operations getSession calls, by method and path. */
const OPERATIONS: [RegExp, string][] = [
  [/^GET \/v1\/stores\/[^/]+\/session-memory\/[^/]+$/, 'GetSessionMemory'],
  [/^GET \/v1\/stores\/[^/]+\/session-memory$/, 'ListSessions'],
  [/^GET \/v1\/working-memory\/$/, AGENT_MEMORY_SERVER_OPERATIONS.listSessions],
  [/^GET \/v1\/working-memory\/[^/]+$/, AGENT_MEMORY_SERVER_OPERATIONS.getWorkingMemory],
];

/** Wraps a fetch so that the JSON body of every response it returns is kept in `into`. */
export function capturingFetch(into: CapturedBody[], inner: (req: Request) => Promise<Response> = fetch) {
  return async (req: Request): Promise<Response> => {
    const res = await inner(req);
    const key = `${req.method} ${new URL(req.url).pathname}`;
    const operation = OPERATIONS.find(([pattern]) => pattern.test(key))?.[1];
    if (operation && res.ok) {
      const text = await res.clone().text();
      into.push({ operation, body: JSON.parse(text), bytes: Buffer.byteLength(text) });
    }
    return res;
  };
}

export type Check = (operation: string, body: unknown) => string | undefined;

/** The generated validators, as the clients apply them. */
export const generatedCheck: Check = (operation, body) => {
  const spec = ramResponses[operation] ?? amsResponses[operation];
  if (!spec) throw new Error(`no response spec for ${operation}`);
  return responseProblem(spec, body);
};

export interface ValidationRow {
  responses: number;
  bytes: number;
  /** Median µs to validate all the responses of one getSession. */
  totalUs: number;
  /** totalUs ÷ responses. */
  perResponseUs: number;
  /** Median µs for the largest response alone. */
  largestUs: number;
}

function medianUs(work: () => void, repeats: number): number {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    work();
    times.push((performance.now() - t) * 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Validation time of the captured responses; throws if any fails, since then nothing was measured. */
export function timeValidation(check: Check, captured: CapturedBody[], repeats = 200): ValidationRow {
  for (const c of captured) {
    const problem = check(c.operation, c.body);
    if (problem) throw new Error(`${c.operation}: captured body fails its check (${problem})`);
  }
  for (let i = 0; i < 20; i++) for (const c of captured) check(c.operation, c.body);
  const largest = captured.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const totalUs = medianUs(() => {
    for (const c of captured) check(c.operation, c.body);
  }, repeats);
  return {
    responses: captured.length,
    bytes: captured.reduce((n, c) => n + c.bytes, 0),
    totalUs,
    perResponseUs: totalUs / captured.length,
    largestUs: medianUs(() => check(largest.operation, largest.body), repeats),
  };
}
