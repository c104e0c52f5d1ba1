import { mkdtemp, readFile, rm, writeFile, cp, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { responses as amsResponses } from '../../generated/agent-memory-server.validators.js';
import { responses as ramResponses } from '../../generated/redis-agent-memory.validators.js';
import { InvalidResponseError, createAgentMemoryServerClient, createRedisAgentMemoryClient } from '../../src/clients/index.js';
import { responseProblem } from '../../src/clients/responses.js';
// @ts-expect-error plain ESM script without types
import { renderValidators, successResponses } from '../../scripts/validators.mjs';
// @ts-expect-error plain ESM script without types
import { pull } from '../../scripts/specs-pull.mjs';
import { sendJson, startStub } from '../helpers/stub-server.js';

const root = path.resolve(import.meta.dirname, '../..');
const specOf = async (name: string) => parse(await readFile(path.join(root, 'specs', `${name}.openapi.yaml`), 'utf8'));
const now = '2026-01-02T03:04:05.000Z';
const ramEvent = (i: number) => ({
  eventId: `${'a'.repeat(31)}${i}`,
  actorId: 'alice',
  sessionId: 's1',
  role: 'USER',
  content: [{ text: `turn ${i}` }],
  createdAt: now,
  systemTimestamp: now,
});

describe('generated response validators', () => {
  it.each([
    ['redis-agent-memory', ramResponses],
    ['agent-memory-server', amsResponses],
  ] as const)('cover every operation of the %s spec with its success status', async (name, table) => {
    const expected = (successResponses(await specOf(name)) as { operationId: string; status: number; schema?: unknown }[]).map((r) => [
      r.operationId,
      r.status,
      r.schema !== undefined,
    ]);
    const actual = Object.entries(table).map(([operationId, r]) => [operationId, r.status, r.body !== undefined]);
    expect(actual).toEqual(expected);
    expect(actual.length).toBeGreaterThanOrEqual(14);
  });

  it('name the first wrong field, nested, and the rule it breaks', () => {
    const spec = ramResponses.GetSessionMemory!;
    const good = { sessionId: 's1', ownerId: 'alice', events: [ramEvent(0), ramEvent(1), ramEvent(2)] };
    expect(responseProblem(spec, good)).toBeUndefined();
    const { createdAt: _, ...noTime } = ramEvent(1);
    expect(responseProblem(spec, { ...good, events: [ramEvent(0), noTime] })).toBe('events.1.createdAt: is required');
    expect(responseProblem(spec, { ...good, events: [ramEvent(0), { ...ramEvent(1), role: 'ROBOT' }] })).toMatch(
      /^events\.1\.role: must be equal to one of the allowed values/,
    );
    expect(responseProblem(spec, { ...good, events: [{ ...ramEvent(0), content: [{ text: 7 }] }] })).toMatch(/^events\.0\.content\.0/);
    expect(responseProblem(spec, { ...good, events: [{ ...ramEvent(0), actorId: 'not ok!' }] })).toMatch(/^events\.0\.actorId: must match pattern/);
    expect(responseProblem(spec, [])).toMatch(/^body: must be object/);
    expect(responseProblem(amsResponses.get_working_memory_v1_working_memory__session_id__get!, { session_id: 's', messages: [{ role: 'user' }] })).toMatch(
      /^messages\.0\.(content|id): is required/,
    );
  });

  it('accept fields the spec does not list, at the top and nested', () => {
    const body = { sessionId: 's1', ownerId: 'alice', events: [{ ...ramEvent(0), future: { x: 1 } }], nextPage: 'later' };
    expect(responseProblem(ramResponses.GetSessionMemory!, body)).toBeUndefined();
  });

  it('reject a body on an operation the spec gives none', () => {
    expect(responseProblem(ramResponses.UpdateLongTermMemoryFields!, undefined)).toBeUndefined();
    expect(responseProblem(ramResponses.UpdateLongTermMemoryFields!, { html: '<h1>proxy</h1>' })).toMatch(/specifies no body/);
  });

  it('leave objects open even where a spec closes them, and count string lengths in code points', async () => {
    const spec = {
      openapi: '3.1.0',
      paths: { '/t': { get: { operationId: 'T', responses: { '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/T' } } } } } } } },
      components: {
        schemas: { T: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', maxLength: 2 } } } },
      },
    };
    const dir = await mkdtemp(path.join(os.tmpdir(), 'validators-'));
    try {
      const file = path.join(dir, 'v.ts');
      await writeFile(file, renderValidators(spec, 'test spec'));
      const { responses } = (await import(pathToFileURL(file).href)) as { responses: typeof ramResponses };
      expect(responseProblem(responses.T!, { name: '😀😀', extra: true })).toBeUndefined();
      expect(responseProblem(responses.T!, { name: 'abc' })).toMatch(/^name: must NOT have more than 2 characters/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the clients check every response against the generated validators', () => {
  const servers: { close(): Promise<void> }[] = [];
  afterAll(async () => Promise.all(servers.map((s) => s.close())));

  it('an Agent Memory Server body that breaks the spec is an InvalidResponseError naming the field', async () => {
    const s = await startStub((_req, res) => sendJson(res, 200, { sessions: ['a', 7], total: 2 }));
    servers.push(s);
    const err = await createAgentMemoryServerClient({ apiBaseUrl: s.url, maxRetries: 0 })
      .listSessions()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidResponseError);
    expect((err as Error).message).toMatch(/list_sessions returned a body that does not match the API \(sessions\.1: must be string\)/);
  });

  it('a Redis Agent Memory event without its timestamp is an InvalidResponseError naming the field', async () => {
    const { createdAt: _, ...event } = ramEvent(0);
    const s = await startStub((_req, res) => sendJson(res, 201, { event }));
    servers.push(s);
    const c = createRedisAgentMemoryClient({ apiBaseUrl: s.url, apiKey: 'k', storeId: 'store', maxRetries: 0 });
    const err = await c.addSessionEvent({ actorId: 'alice', role: 'USER', content: [{ text: 'hi' }], createdAt: now }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidResponseError);
    expect((err as Error).message).toContain('(event.createdAt: is required)');
  });
});

describe('npm run specs:pull', () => {
  it('regenerates the response validators in the same step as the spec and types', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pull-'));
    try {
      await mkdir(path.join(dir, 'generated'));
      await cp(path.join(root, 'specs'), path.join(dir, 'specs'), { recursive: true });
      // A pull replaces the official document; the overlay is applied on top of it again.
      const next = parse(await readFile(path.join(root, 'specs/redis-agent-memory.document.yaml'), 'utf8'));
      next.components.schemas.HealthResponseContent.required.push('region');
      next.components.schemas.HealthResponseContent.properties.region = { type: 'string' };
      const from = path.join(dir, 'pulled.json');
      await writeFile(from, JSON.stringify(next));
      const { files } = await pull({ backend: 'redis-agent-memory', from, base: dir });
      expect(files).toEqual([
        'specs/redis-agent-memory.document.yaml',
        'specs/redis-agent-memory.openapi.yaml',
        'generated/redis-agent-memory.ts',
        'generated/redis-agent-memory.validators.ts',
      ]);
      expect(await readFile(path.join(dir, 'specs/redis-agent-memory.openapi.yaml'), 'utf8')).toContain('MoveLongTermMemories');
      const pulled = (await import(pathToFileURL(path.join(dir, 'generated/redis-agent-memory.validators.ts')).href)) as { responses: typeof ramResponses };
      expect(responseProblem(ramResponses.Health!, { status: 'healthy' })).toBeUndefined();
      expect(responseProblem(pulled.responses.Health!, { status: 'healthy' })).toBe('region: is required');
      expect(await readFile(path.join(dir, 'generated/redis-agent-memory.ts'), 'utf8')).toContain('region: string');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
