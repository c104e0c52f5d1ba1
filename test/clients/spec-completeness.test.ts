import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '../..');
const spec = parse(readFileSync(path.join(root, 'specs/agent-memory-server.openapi.yaml'), 'utf8')) as { paths: Record<string, Record<string, { operationId?: string }>> };

/** Every route `agent_memory_server/api.py` (server/v0.15.2) and `healthcheck.py` declare, by method and path. */
const SERVER_ROUTES = [
  'GET /v1/health',
  'POST /v1/long-term-memory/forget',
  'GET /v1/working-memory/',
  'GET /v1/working-memory/{session_id}',
  'PUT /v1/working-memory/{session_id}',
  'DELETE /v1/working-memory/{session_id}',
  'POST /v1/long-term-memory/',
  'POST /v1/long-term-memory/search',
  'DELETE /v1/long-term-memory',
  'POST /v1/long-term-memory/compact',
  'GET /v1/long-term-memory/{memory_id}',
  'PATCH /v1/long-term-memory/{memory_id}',
  'POST /v1/memory/prompt',
  'POST /v1/summary-views',
  'GET /v1/summary-views',
  'GET /v1/summary-views/{view_id}',
  'DELETE /v1/summary-views/{view_id}',
  'POST /v1/summary-views/{view_id}/partitions/run',
  'GET /v1/summary-views/{view_id}/partitions',
  'POST /v1/summary-views/{view_id}/run',
  'GET /v1/tasks/{task_id}',
];

describe('the Agent Memory Server spec', () => {
  it('declares every route of server v0.15.2, and no other', () => {
    const declared = Object.entries(spec.paths).flatMap(([p, ops]) => Object.keys(ops).filter((m) => m !== 'parameters').map((m) => `${m.toUpperCase()} ${p}`));
    expect(declared.sort()).toEqual([...SERVER_ROUTES].sort());
  });
});
