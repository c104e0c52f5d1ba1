import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { normalise } from '../../scripts/specs-pull.mjs';
import { AMS_VERSIONS, startRealAgentMemoryServer, type RealAgentMemoryServer } from '../../src/testing/index.js';
import { closeIfStarted } from '../helpers/started.js';

const root = path.resolve(import.meta.dirname, '../..');

// The release every real-server suite of this run meets: ADK_REDIS_AMS_VERSION, else the default.
const asked = process.env.ADK_REDIS_AMS_VERSION ?? AMS_VERSIONS[0];

describe(`the real Agent Memory Server release under test (${asked})`, () => {
  let server: RealAgentMemoryServer;
  beforeAll(async () => {
    server = await startRealAgentMemoryServer({ backgroundTasks: 'manual' });
  });
  afterAll(() => closeIfStarted(server));

  it('is the release asked for, serving its own API description', async () => {
    expect(AMS_VERSIONS).toContain(asked);
    expect(server.versions.agentMemoryServer).toBe(asked);
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/v1/working-memory/{session_id}');
    // What specs/ keeps of this release is what it serves (the walkthrough of npm run specs:diff reads it).
    const kept = asked === AMS_VERSIONS[0] ? 'specs/agent-memory-server.openapi.yaml' : `specs/releases/agent-memory-server-${asked}.openapi.yaml`;
    expect(normalise(doc, undefined)).toBe(await readFile(path.join(root, kept), 'utf8'));
  });

  it('refuses a release it does not support, naming the supported ones', async () => {
    await expect(startRealAgentMemoryServer({ version: '0.13.2' as never })).rejects.toThrow(
      /0\.13\.2 is not a supported release; supported: 0\.15\.2, 0\.14\.0/,
    );
  });
});
