import { createEvent, type Event } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/clients/errors.js';
import { backendTarget, suiteBackends, type Target } from '../helpers/targets.js';
import { closeIfStarted } from '../helpers/started.js';

let seq = 0;
const uid = (p: string) => `${p}-${process.pid}-${++seq}`;
const said = (text: string): Event =>
  createEvent({ id: uid('e'), invocationId: 'inv', author: 'user', timestamp: Date.now(), content: { role: 'user', parts: [{ text }] } });

describe.each(suiteBackends(['redis-agent-memory', 'opensource-agent-memory'] as const))("ADK's memory signatures with customMetadata on %s", (backend) => {
  let target: Target;
  beforeAll(async () => {
    target = await backendTarget(backend, { server: { backgroundTasks: 'manual' } });
  }, 240_000);
  afterAll(() => closeIfStarted(target));

  it('keeps customMetadata of addMemory and addEventsToMemory with the memories, and returns it on search and get', async () => {
    const appName = uid('coach');
    const memory = target.memory!();
    const facts = await memory.addMemory({
      appName,
      userId: 'ann',
      memories: [{ content: { parts: [{ text: 'Ann trains for a marathon in May' }] } }],
      customMetadata: { source: 'onboarding', confidence: 0.9, tags: ['goal'] },
    });
    await memory.addEventsToMemory({ appName, userId: 'ann', sessionId: 's1', events: [said('I ran 30 km on Sunday')], customMetadata: { source: 'chat' } });
    await memory.addMemory({ appName, userId: 'ann', memories: [{ content: { parts: [{ text: 'Ann likes trail shoes' }] } }] });
    await target.settle();
    const found = (await memory.searchMemory({ appName, userId: 'ann', query: 'marathon running shoes km' })).memories;
    const byText = Object.fromEntries(found.map((m) => [m.content.parts?.[0]?.text, m.customMetadata]));
    expect(byText).toEqual({
      'Ann trains for a marathon in May': { source: 'onboarding', confidence: 0.9, tags: ['goal'] },
      'I ran 30 km on Sunday': { source: 'chat' },
      'Ann likes trail shoes': undefined,
    });
    expect((await memory.getMemory({ appName, userId: 'ann', id: facts.ids[0]! }))?.customMetadata).toEqual({
      source: 'onboarding',
      confidence: 0.9,
      tags: ['goal'],
    });
    // Another user sees neither the memories nor their metadata.
    expect((await memory.searchMemory({ appName, userId: 'bob', query: 'marathon' })).memories).toEqual([]);
  });

  it('drops the metadata with the memory: written again without it, the memory has none', async () => {
    const appName = uid('coach');
    const memory = target.memory!();
    const text = { content: { parts: [{ text: 'Cat swims on Fridays' }] } };
    const { ids } = await memory.addMemory({ appName, userId: 'cat', memories: [{ ...text, id: 'swim' }], customMetadata: { v: 1 } });
    // The real server stores a new record after answering (its indexing task): deleteMemory finds only a stored one.
    await target.settle();
    expect(await memory.deleteMemory({ appName, userId: 'cat', ids })).toEqual({ deleted: ids });
    await memory.addMemory({ appName, userId: 'cat', memories: [{ ...text, id: 'swim' }] });
    await target.settle();
    expect((await memory.getMemory({ appName, userId: 'cat', id: 'swim' }))?.customMetadata).toBeUndefined();
  });

  it('refuses metadata that is not a JSON object, or over 16 KiB, naming the field, before sending anything', async () => {
    const memory = target.memory!();
    const memories = [{ content: { parts: [{ text: 'x' }] } }];
    await expect(memory.addMemory({ appName: 'a', userId: 'u', memories, customMetadata: { when: () => 1 } })).rejects.toThrow(/customMetadata\.when/);
    await expect(memory.addMemory({ appName: 'a', userId: 'u', memories, customMetadata: ['list'] as never })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(memory.addMemory({ appName: 'a', userId: 'u', memories, customMetadata: { big: 'x'.repeat(17_000) } })).rejects.toThrow(
      /customMetadata.*limit is 16384/,
    );
  });
});
