/**
 * What two session services must agree on, with what no two runs share taken out: event,
 * invocation and function-call ids become placeholders in order of first appearance (so a
 * response still names its call), and times are dropped.
 */
import type { Event, LlmRequest } from '@google/adk';

const TIMES = new Set(['timestamp', 'startTime', 'endTime', 'lastUpdateTime']);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The ids a run made up, each to be named by a placeholder. */
function idsOf(events: Json[]): Set<string> {
  const ids = new Set<string>();
  const visit = (v: Json, key?: string) => {
    if (Array.isArray(v)) v.forEach((x) => visit(x, key === 'longRunningToolIds' ? 'id' : undefined));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) visit(x, k);
    else if (typeof v === 'string' && (key === 'id' || key === 'invocationId')) ids.add(v);
  };
  events.forEach((e) => visit(e));
  return ids;
}

/** Orders events by branch (each branch's own order kept), for programs whose branches run at once. */
function byBranch(events: Json[]): Json[] {
  const branch = (e: Json) => (e && typeof e === 'object' && !Array.isArray(e) && typeof e.branch === 'string' ? e.branch : '');
  return events
    .map((e, i) => [e, i] as const)
    .sort(([a, i], [b, j]) => branch(a).localeCompare(branch(b)) || i - j)
    .map(([e]) => e);
}

export function inTimeOrder(events: readonly Event[]): boolean {
  return events.every((e, i) => i === 0 || events[i - 1]!.timestamp <= e.timestamp);
}

export function normaliseEvents(events: readonly Event[], opts: { parallel?: boolean | undefined } = {}): Json[] {
  let list = JSON.parse(JSON.stringify(events)) as Json[];
  if (opts.parallel) list = byBranch(list);
  const ids = idsOf(list);
  const names = new Map<string, string>();
  const name = (id: string) => {
    if (!names.has(id)) names.set(id, `<id ${names.size + 1}>`);
    return names.get(id)!;
  };
  const walk = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: Record<string, Json> = {};
      for (const [k, x] of Object.entries(v)) {
        if (TIMES.has(k)) continue;
        out[ids.has(k) ? name(k) : k] = walk(x);
      }
      return out;
    }
    return typeof v === 'string' && ids.has(v) ? name(v) : v;
  };
  return list.map(walk);
}

/**
 * What the model was asked: each content's role and parts, ids and times out, as a set (the order
 * in which branches that ran at once reached the session is the scheduler's).
 */
export function normaliseRequests(requests: readonly LlmRequest[]): Json[] {
  return requests.map((r) => {
    const contents = normaliseEvents(r.contents.map((c) => ({ content: c }) as unknown as Event));
    return [...contents].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  });
}
