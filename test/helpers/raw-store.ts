import type { Target } from './targets.js';

/**
 * Plays another client of a Redis Agent Memory store, or the store's own tools: raw HTTP straight
 * to the reference server (no Prism, no SDK), answering the status and the parsed body.
 */
export async function rawStore(target: Target, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${target.directUrl}/v1/stores/${target.server!.storeId}${path}`, {
    method,
    headers: { authorization: `Bearer ${target.server!.apiKey}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json().catch(() => undefined)) as unknown };
}
