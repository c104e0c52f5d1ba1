import { appTopic, holdsAppMemory, inAppScope, messageText, splitMessageText } from '../../src/codec/memory.js';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/clients/errors.js';
import {
  amsAppSlotSessionId,
  amsSessionId,
  amsTagValue,
  fromAmsAppSlotSessionId,
  fromAmsSessionId,
  fromAmsTagValue,
  isReadableId,
  readableId,
  tupleId,
} from '../../src/codec/ids.js';
import { ToolConfirmation } from '@google/adk';
import { assignOwn, setOwn, toJson } from '../../src/codec/json.js';
import { mergeScopes, splitState } from '../../src/codec/state.js';
import { ramIds } from '../../src/backends/ram-sessions.js';
import { amsKeys } from '../../src/backends/ams-sessions.js';

const RAM_ID = /^[a-zA-Z0-9-]{1,64}$/;

describe('id encoding', () => {
  it('keeps ids that fit the Redis Agent Memory rule as they are and encodes the rest deterministically', () => {
    expect(readableId('user-42')).toBe('user-42');
    expect(readableId('6f1c2b1e-8a4d-4c1e-9d0a-3b2f5e7c9a11')).toBe('6f1c2b1e-8a4d-4c1e-9d0a-3b2f5e7c9a11');
    expect(readableId('a'.repeat(64))).toBe('a'.repeat(64));
    expect(readableId('alice@example.com')).toMatch(/^x-[0-9a-f]{40}$/);
    expect(readableId('alice@example.com')).toBe(readableId('alice@example.com'));
    expect(readableId('a'.repeat(65))).toMatch(/^x-[0-9a-f]{40}$/);
    expect(readableId('fitness_coach')).toMatch(/^x-/);
  });

  it('never lets a kept id equal an encoded one: x- is reserved', () => {
    const encoded = readableId('a b');
    expect(readableId(encoded)).not.toBe(encoded);
    expect(isReadableId('x-anything')).toBe(false);
  });

  it('gives every ADK scope a valid store id, distinct per scope, readable where the ids fit', () => {
    const weird = ['', 'a', 'ü', '🚀', 'a/b', 'a:b', 'x'.repeat(500), 'user@x', ' '];
    const seen = new Map<string, string>();
    for (const app of weird)
      for (const user of weird)
        for (const session of ['s', 's/1', '']) {
          const scope = { namespace: app, appName: app, userId: user, sessionId: session };
          const id = ramIds.scopedSession(scope);
          expect(id).toMatch(RAM_ID);
          const key = JSON.stringify([app, user, session]);
          expect(seen.get(id) ?? key).toBe(key);
          seen.set(id, key);
          expect(ramIds.owner(user)).toMatch(RAM_ID);
          expect(ramIds.session(scope)).toMatch(RAM_ID);
          expect(ramIds.session(scope)).not.toBe(id);
        }
    expect(ramIds.session({ namespace: 'a', appName: 'a', userId: 'alice', sessionId: 's1' })).toBe('s1');
    expect(ramIds.owner('alice')).toBe('alice');
  });

  it('length-prefixes tuple parts, so shifting characters between parts changes the id', () => {
    expect(tupleId('s', 'k', ['ab', 'c'])).not.toBe(tupleId('s', 'k', ['a', 'bc']));
  });

  it('gives Agent Memory Server the ADK ids as they are, and journals namespaces of their own', () => {
    const scope = { namespace: 'app', appName: 'app', userId: 'u.1', sessionId: 's:1 é' };
    expect(amsKeys.native(scope)).toEqual({ session_id: 's:1 é', namespace: 'app', user_id: 'u.1' });
    expect(amsKeys.journal(scope).namespace).not.toBe('app');
    expect(amsKeys.journal(scope).namespace).not.toBe(amsKeys.journal({ ...scope, sessionId: 't' }).namespace);
    expect(amsKeys.journal(scope).namespace).not.toBe(amsKeys.journal({ ...scope, userId: 'u.2' }).namespace);
  });
});

describe('Agent Memory Server session ids in URL paths', () => {
  it('escapes only ids the path cannot carry, one to one', () => {
    // The server decodes %2F before routing, and URLs drop `.` and `..` segments.
    expect(amsSessionId('trip/1')).toBe('trip%2F1');
    expect(amsSessionId('.')).toBe('%2E');
    expect(amsSessionId('..')).toBe('%2E%2E');
    for (const id of ['a.b', '50%off', 's:1 é', 'x?y#z', 'ünï🚀']) expect(amsSessionId(id)).toBe(id);
    // An id that reads as escaped is escaped again, so no two ids share a stored form.
    expect(amsSessionId('a%2Fb')).toBe('a%252Fb');
    const ids = ['trip/1', 'trip%2F1', '.', '%2E', '..', 'a%25', 'a%', '/', '%2F/%25', 'plain', '50%off'];
    expect(new Set(ids.map(amsSessionId)).size).toBe(ids.length);
    for (const id of ids) {
      expect(amsSessionId(id)).not.toMatch(/\//);
      expect(fromAmsSessionId(amsSessionId(id))).toBe(id);
    }
  });

  it('gives a session in its app slot an id no plain id has, read back into session id and app', () => {
    expect(amsAppSlotSessionId('day-1', 'helper')).toBe('day-1%7Chelper');
    // An id holding the separator is escaped as a plain id, and so never looks like a slot.
    expect(amsSessionId('day-1%7Chelper')).toBe('day-1%257Chelper');
    const ids = ['day-1', 'a%7Cb', 'a%7cb', 'trip/1', '..', '%', 'x|y', 'ünï🚀'];
    for (const id of ids) {
      expect(fromAmsAppSlotSessionId(amsSessionId(id))).toBeUndefined();
      expect(fromAmsSessionId(amsSessionId(id))).toBe(id);
      for (const app of ['helper', 'a%7Cb', 'sub/agent'])
        expect(fromAmsAppSlotSessionId(amsAppSlotSessionId(id, app))).toEqual({ sessionId: id, appName: app });
    }
    const stored = ids.flatMap((id) => [amsSessionId(id), amsAppSlotSessionId(id, 'helper'), amsAppSlotSessionId(id, 'a%7Cb')]);
    expect(new Set(stored).size).toBe(stored.length);
  });
});

describe('Agent Memory Server user ids and namespaces as TAG values', () => {
  it('escapes what a TAG cannot store or a TAG query cannot find, one to one, and nothing else', () => {
    // Stored values split at commas and are trimmed; queries leave |, ?, ` and control characters unescaped.
    expect(amsTagValue('Doe, John')).toBe('Doe%2C John');
    expect(amsTagValue('bob|eve')).toBe('bob%7Ceve');
    expect(amsTagValue('a?b`c')).toBe('a%3Fb%60c');
    expect(amsTagValue('t\tx\n\u0000\u007f')).toBe('t%09x%0A%00%7F');
    expect(amsTagValue(' bob ')).toBe('%20bob%20');
    expect(amsTagValue('50%|')).toBe('50%25%7C');
    expect(amsTagValue('_')).toBe('%5F');
    expect(amsTagValue('%5F')).toBe('%255F');
    for (const id of ['__', 'a_b', '_a']) expect(amsTagValue(id)).toBe(id);
    for (const id of ['bob', 'a b', 'ünï🚀', '50%off', 'x*{y}', 'a\u00a0b', '@user_id:{bob}']) expect(amsTagValue(id)).toBe(id);
    // An id that reads as escaped is escaped again, so no two ids share a stored form.
    expect(amsTagValue('bob%7Ceve')).toBe('bob%257Ceve');
    const ids = [
      'bob|eve',
      'bob%7Ceve',
      'bob%7ceve',
      'Doe, John',
      'Doe%2C John',
      ' bob',
      '%20bob',
      'a?b',
      'a%3Fb',
      't\tx',
      't%09x',
      '_',
      '%5F',
      '%',
      '%25',
      'plain',
      '',
    ];
    expect(new Set(ids.map(amsTagValue)).size).toBe(ids.length);
    for (const id of ids) {
      // eslint-disable-next-line no-control-regex -- control characters are what it looks for
      expect(amsTagValue(id)).not.toMatch(/[,|?`\x00-\x1f\x7f]|^ | $/);
      expect(fromAmsTagValue(amsTagValue(id))).toBe(id);
    }
  });
});

/** A class whose data is behind an accessor: stored as its own fields it would come back empty. */
class Hidden {
  #value = 1;
  get value(): number {
    return this.#value;
  }
}

/** A class with a JSON form of its own. */
class WithToJson {
  toJSON(): string {
    return 'custom';
  }
}

describe('JSON safety', () => {
  it('accepts plain JSON and drops undefined members', () => {
    expect(toJson({ a: 1, b: undefined, c: [1, undefined, 'x'], d: { e: null } }, 'op', 'v')).toEqual({ a: 1, c: [1, null, 'x'], d: { e: null } });
  });

  it.each([
    [{ when: new Date(0) }, 'state.when', 'Date'],
    [{ n: Number.NaN }, 'state.n', 'NaN'],
    [{ f: () => 1 }, 'state.f', 'function'],
    [{ big: 10n }, 'state.big', 'bigint'],
    [{ m: new Map() }, 'state.m', 'Map'],
    [{ bytes: new Uint8Array(2) }, 'state.bytes', 'Uint8Array'],
    [{ url: new URL('http://x') }, 'state.url', 'URL'],
    [{ hidden: new Hidden() }, 'state.hidden', 'Hidden'],
    [{ custom: new WithToJson() }, 'state.custom', 'WithToJson'],
  ])('rejects %o naming the path', (value, path, word) => {
    let err: unknown;
    try {
      toJson(value, 'appendEvent', 'state');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toContain(word);
  });

  it("stores instances of data classes as their own fields, as ADK's database service does (ToolConfirmation, a subclass, a null-prototype map)", () => {
    class Base {
      constructor(readonly kind: string) {}
      describe(): string {
        return this.kind;
      }
    }
    class Derived extends Base {
      extra = [1, { deep: true }];
    }
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    expect(toJson({ c: new ToolConfirmation({ hint: 'ok?', confirmed: true }), d: new Derived('x'), bare }, 'op', 'v')).toEqual({
      c: { hint: 'ok?', confirmed: true },
      d: { kind: 'x', extra: [1, { deep: true }] },
      bare: { a: 1 },
    });
  });

  it('keeps __proto__ as an own key: copying, splitting and merging state never re-parents an object', () => {
    const state: Record<string, unknown> = {};
    setOwn(state, '__proto__', { polluted: true });
    setOwn(state, 'user:__proto__', 1);
    setOwn(state, 'app:__proto__', 2);
    const copy = toJson(state, 'op', 'state') as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'user:__proto__', 'app:__proto__']);
    const split = splitState(copy);
    for (const scope of [split.session, split.user, split.app]) {
      expect(Object.getPrototypeOf(scope)).toBe(Object.prototype);
      expect(Object.keys(scope)).toEqual(['__proto__']);
    }
    expect(Object.keys(mergeScopes(split.app, split.user, split.session)).sort()).toEqual(['__proto__', 'app:__proto__', 'user:__proto__']);
    expect(Object.keys(assignOwn({}, copy))).toEqual(['__proto__', 'user:__proto__', 'app:__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('rejects cycles', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => toJson(a, 'op', 'state')).toThrow(/cycle/);
  });
});

describe('stored event decoding', () => {
  it('fills in the same action defaults as ADK createEventActions, keeping stored values', async () => {
    const { createEventActions } = await import('@google/adk');
    const { actionsOf, eventFromJson } = await import('../../src/codec/events.js');
    expect(actionsOf(undefined)).toEqual(createEventActions());
    expect(actionsOf({})).toEqual(createEventActions({}));
    const stored = { stateDelta: { a: 1 }, transferToAgent: 'coach', escalate: true };
    expect(actionsOf(stored)).toEqual(createEventActions(stored));
    const event = eventFromJson({ id: 'e1', timestamp: 5, author: 'user', actions: stored }, 'test');
    expect(event.actions).toEqual(createEventActions(stored));
    expect(event.actions).not.toBe(stored);
    expect(event.invocationId).toBe('');
  });
});

describe('which records an app sees and forgets (memoryScope "app")', () => {
  const alpha = { appName: 'alpha', userId: 'u', namespace: 'shared' };
  const own = appTopic('alpha');
  const other = appTopic('beta');

  it('sees a record whose app topics are all its own, and not one merged with another app’s', () => {
    expect(inAppScope(alpha, ['hiking', own])).toBe(true);
    expect(inAppScope(alpha, [other])).toBe(false);
    // The server's compaction merges records of several apps into one with the union of their topics.
    expect(inAppScope(alpha, [own, other])).toBe(false);
    expect(inAppScope(alpha, [own.toUpperCase()])).toBe(true);
    // Untagged records (another client's) belong to the app whose namespace they are in.
    expect(inAppScope(alpha, [])).toBe(false);
    expect(inAppScope({ ...alpha, namespace: 'alpha' }, null)).toBe(true);
    expect(inAppScope({ ...alpha, kind: 'namespace' }, [other])).toBe(true);
  });

  it('forgets every record that holds its memory, merged ones included', () => {
    expect(holdsAppMemory(alpha, [own, other])).toBe(true);
    expect(holdsAppMemory(alpha, [own])).toBe(true);
    expect(holdsAppMemory(alpha, [other])).toBe(false);
    expect(holdsAppMemory(alpha, [])).toBe(false);
  });
});

describe('message memory texts', () => {
  it('write the day an event was said (UTC) and its author before its text, and read them back apart', () => {
    expect(messageText('user', 'I went there yesterday', '2023-05-08T23:59:00Z')).toBe('(8 May 2023) user: I went there yesterday');
    expect(messageText('coach', 'Noted: 5 km', '1970-01-01T00:00:00.001Z')).toBe('(1 January 1970) coach: Noted: 5 km');
    expect(splitMessageText('message', '(8 May 2023) user: I went there yesterday')).toEqual({
      author: 'user',
      day: '8 May 2023',
      text: 'I went there yesterday',
    });
    // The text keeps what follows the author whole, colons and line breaks too.
    expect(splitMessageText('message', '(1 January 1970) coach: Noted: 5 km\nmore')).toEqual({
      author: 'coach',
      day: '1 January 1970',
      text: 'Noted: 5 km\nmore',
    });
  });

  it('write no day for an event without a time, and read records written before the day was added', () => {
    expect(messageText('user', 'hello')).toBe('user: hello');
    expect(messageText('user', 'hello', 'not a date')).toBe('user: hello');
    expect(splitMessageText('message', 'user: hello')).toEqual({ author: 'user', text: 'hello' });
  });

  it('leave other texts whole: facts, and message texts that only look dated', () => {
    expect(splitMessageText('semantic', '(8 May 2023) user: hello')).toEqual({ text: '(8 May 2023) user: hello' });
    expect(splitMessageText('message', '(8 Mai 2023) user: hello')).toEqual({ author: '(8 Mai 2023) user', text: 'hello' });
    expect(splitMessageText('message', 'no author here')).toEqual({ text: 'no author here' });
  });
});
