import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AGENT_MEMORY_SERVER_OPERATIONS } from '../../src/clients/agent-memory-server.js';

const root = path.resolve(import.meta.dirname, '../..');
const spec = parse(readFileSync(path.join(root, 'specs/agent-memory-server.openapi.yaml'), 'utf8')) as {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, { operationId?: string }>>;
};

// That this file is exactly what the server v0.15.2 serves at /openapi.json (after specs:pull's
// normalisation) is checked against the running server in test/real/specs-pull.test.ts.
describe('the Agent Memory Server spec', () => {
  it("is the server's own document of v0.15.2", () => {
    expect(spec.openapi).toBe('3.1.0');
    expect(spec.info).toEqual({ title: 'Redis Agent Memory Server', version: '0.15.2' });
  });

  it('has a client method for every operation it declares, and no method for anything else', () => {
    const declared = Object.values(spec.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
    expect([...Object.values(AGENT_MEMORY_SERVER_OPERATIONS)].sort()).toEqual(declared.sort());
  });
});
