import { createEvent, createEventActions } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, InvalidInputError } from '../../src/clients/errors.js';
import { RedisLongTermMemoryService } from '../../src/services/memory-service.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { startReferenceServer, type ReferenceServer } from '../../src/testing/index.js';
import { closeIfStarted } from '../helpers/started.js';

describe.each(['redis-agent-memory', 'opensource-agent-memory'] as const)(
  'bad input on %s: clear errors before anything is sent, stored data intact',
  (backend) => {
    let server: ReferenceServer;
    let sessions: RedisSessionMemoryService;
    let memory: RedisLongTermMemoryService;
    const app = 'bad-input-app';
    beforeAll(async () => {
      // Stored data is compared exactly: the server's own extraction runs only when asked.
      server = await startReferenceServer({ backend, backgroundTasks: 'manual' });
      const cfg = { backend, apiBaseUrl: server.url, apiKey: server.apiKey, storeId: server.storeId };
      sessions = new RedisSessionMemoryService(cfg);
      memory = new RedisLongTermMemoryService(cfg);
      const s = await sessions.createSession({ appName: app, userId: 'u', sessionId: 's', state: { keep: true } });
      await sessions.appendEvent({
        session: s,
        event: createEvent({ id: 'e0', author: 'user', timestamp: 1, content: { role: 'user', parts: [{ text: 'original' }] } }),
      });
      await memory.addMemory({ appName: app, userId: 'u', memories: [{ content: { parts: [{ text: 'User keeps this memory' }] } }] });
    });
    afterAll(() => closeIfStarted(server));

    /** Runs a call that must fail with InvalidInputError naming `field`, and checks no request went out. */
    async function rejectsLocally(call: () => Promise<unknown>, pattern: RegExp): Promise<void> {
      const before = server.faults.log.length;
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as Error).message).toMatch(pattern);
      expect(server.faults.log.length).toBe(before);
    }

    it('invalid configuration and an unknown backend', () => {
      expect(() => new RedisSessionMemoryService({ backend, apiBaseUrl: 'not a url' })).toThrow(ConfigurationError);
      expect(() => new RedisSessionMemoryService({ backend: 'sqlite' as never })).toThrow(/"backend": must be one of/);
      expect(() => new RedisLongTermMemoryService({ backend, apiBaseUrl: server.url, apiKey: 'k', storeId: 's', similarityThreshold: 1.5 })).toThrow(
        /"similarityThreshold": must be from 0 to 1/,
      );
      expect(() => new RedisLongTermMemoryService({ backend, apiBaseUrl: server.url, apiKey: 'k', storeId: 's', searchTopK: 0 })).toThrow(
        /"searchTopK": must be at least 1/,
      );
    });

    it('empty ids and malformed or empty events', async () => {
      const session = (await sessions.getSession({ appName: app, userId: 'u', sessionId: 's' }))!;
      await rejectsLocally(() => sessions.getSession({ appName: app, userId: '', sessionId: 's' }), /userId must be a non-empty string/);
      // Half of a surrogate pair (what slicing '😀' leaves): no URL or UTF-8 body can carry it. Found by test/properties.
      await rejectsLocally(() => sessions.createSession({ appName: app, userId: '\ud83d' }), /userId must be well-formed Unicode/);
      await rejectsLocally(() => sessions.listSessions({ appName: '\ude00', userId: 'u' }), /appName must be well-formed Unicode/);
      await rejectsLocally(() => memory.searchMemory({ appName: app, userId: 'a\ud83d', query: 'q' }), /userId must be well-formed Unicode/);
      expect(() => new RedisSessionMemoryService({ backend, apiBaseUrl: server.url, apiKey: 'k', storeId: 's', defaultNamespace: '\ud83d' })).toThrow(
        /"defaultNamespace": must be well-formed Unicode/,
      );
      await rejectsLocally(() => sessions.appendEvent({ session, event: { ...createEvent({ timestamp: 1 }), id: '' } }), /event.id must be a non-empty string/);
      await rejectsLocally(
        () => sessions.appendEvent({ session, event: { ...createEvent({ id: 'x' }), timestamp: Number.NaN } }),
        /event.timestamp must be a finite number/,
      );
      await rejectsLocally(() => sessions.appendEvent({ session, event: undefined as never }), /event must be an ADK event/);
    });

    it('oversized events and memories, naming the limit', async () => {
      const session = (await sessions.getSession({ appName: app, userId: 'u', sessionId: 's' }))!;
      const huge = createEvent({ id: 'huge', author: 'user', timestamp: 2, content: { role: 'user', parts: [{ text: 'x'.repeat(2_000_000) }] } });
      await rejectsLocally(() => sessions.appendEvent({ session, event: huge }), /limit \(maxEventBytes\) is 1048576/);
      await rejectsLocally(
        () => memory.addMemory({ appName: app, userId: 'u', memories: [{ content: { parts: [{ text: 'y'.repeat(50_001) }] } }] }),
        /the limit is 50000/,
      );
      await rejectsLocally(
        () => memory.addMemory({ appName: app, userId: 'u', memories: [{ content: { parts: [{ text: 'ok' }] }, topics: ['a'.repeat(101)] }] }),
        /1-100 characters/,
      );
    });

    it('state that JSON cannot carry', async () => {
      const session = (await sessions.getSession({ appName: app, userId: 'u', sessionId: 's' }))!;
      await rejectsLocally(() => sessions.createSession({ appName: app, userId: 'u', state: { at: new Date() } }), /state.at is a Date/);
      const cyclic: Record<string, unknown> = {};
      cyclic.me = cyclic;
      await rejectsLocally(
        () =>
          sessions.appendEvent({
            session,
            event: createEvent({ id: 'c', timestamp: 3, actions: createEventActions({ stateDelta: { 'user:loop': cyclic } }) }),
          }),
        /contains a cycle/,
      );
      await rejectsLocally(
        () => sessions.appendEvent({ session, event: createEvent({ id: 'f', timestamp: 3, customMetadata: { fn: () => 1 } }) }),
        /event.customMetadata.fn is a function/,
      );
    });

    it('an empty query finds nothing without asking the backend', async () => {
      const before = server.faults.log.length;
      expect(await memory.searchMemory({ appName: app, userId: 'u', query: '  ' })).toEqual({ memories: [] });
      expect(server.faults.log.length).toBe(before);
      await expect(memory.searchMemory({ appName: app, userId: 'u', query: 42 as never })).rejects.toThrow(/query must be a string/);
    });

    it('left what was stored untouched', async () => {
      const s = (await sessions.getSession({ appName: app, userId: 'u', sessionId: 's' }))!;
      expect(s.events.map((e) => e.content?.parts?.[0]?.text)).toEqual(['original']);
      expect(s.state).toEqual({ keep: true });
      const found = await memory.searchMemory({ appName: app, userId: 'u', query: 'keeps memory' });
      expect(found.memories.map((m) => m.content.parts?.[0]?.text)).toEqual(['User keeps this memory']);
    });
  },
);
