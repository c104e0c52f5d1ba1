import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
// @ts-expect-error plain ESM script without types
import { TARGETS, specText } from '../../scripts/generate.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ram = (TARGETS as { backend: string; document?: string; overlay?: string; spec: string }[]).find((t) => t.backend === 'redis-agent-memory')!;
const read = async (file: string) => parse(await readFile(path.join(root, file), 'utf8'));

type Doc = {
  paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, unknown> }>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
};
const operations = (doc: Doc) =>
  Object.values(doc.paths)
    .flatMap((item) => Object.values(item).map((op) => op.operationId))
    .filter(Boolean)
    .sort();

describe('Redis Agent Memory spec = official document + SDK 0.4.1 overlay', () => {
  it('keeps every operation of the document and adds the five namespace operations and move', async () => {
    const document = (await read(ram.document!)) as Doc;
    const spec = (await read(ram.spec)) as Doc;
    const added = operations(spec).filter((o) => !operations(document).includes(o));
    expect(added).toEqual(['CreateNamespace', 'DeleteNamespace', 'GetNamespace', 'ListNamespaces', 'MoveLongTermMemories', 'UpdateNamespace']);
    expect(operations(spec)).toEqual(expect.arrayContaining(operations(document)));
  });

  it('adds namespaceRef where the SDK sends or reads it, and 423 on every store-scoped operation', async () => {
    const spec = (await read(ram.spec)) as Doc;
    for (const schema of [
      'AddSessionEventRequestContent',
      'GetSessionMemoryResponseContent',
      'CreateMemoryRecord',
      'MemoryRecord',
      'UpdateLongTermMemoryRequestContent',
      'LongTermMemoryFilter',
    ]) {
      expect(Object.keys(spec.components.schemas[schema]!.properties ?? {}), schema).toContain('namespaceRef');
    }
    const storeScoped = Object.entries(spec.paths).filter(([p]) => p.startsWith('/v1/stores/'));
    for (const [p, item] of storeScoped) for (const [m, op] of Object.entries(item)) expect(op.responses, `${m} ${p}`).toHaveProperty('423');
    expect(spec.paths['/health']!.get!.responses).not.toHaveProperty('423');
  });

  it('is what the generator writes, and an action that matches nothing fails the build', async () => {
    expect(await specText(ram)).toBe(await readFile(path.join(root, ram.spec), 'utf8'));
    const dir = await mkdtemp(path.join(os.tmpdir(), 'overlay-'));
    try {
      await cp(path.join(root, 'specs'), path.join(dir, 'specs'), { recursive: true });
      const overlay = await read(ram.overlay!);
      overlay.actions.push({ target: '$.components.schemas.NoSuchSchema.properties', update: { x: { type: 'string' } } });
      await writeFile(path.join(dir, ram.overlay!), stringify(overlay));
      await expect(specText(ram, dir)).rejects.toThrow(/1 action\(s\) matched nothing: \$\.components\.schemas\.NoSuchSchema/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
