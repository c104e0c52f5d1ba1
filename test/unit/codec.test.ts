import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/clients/errors.js';
import { encodeIdPart, namespaceKey, tupleId } from '../../src/codec/ids.js';
import { toJson } from '../../src/codec/json.js';
import { ramIds } from '../../src/backends/ram-sessions.js';
import { amsKeys } from '../../src/backends/ams-sessions.js';

const RAM_ID = /^[a-zA-Z0-9-]{1,64}$/;

describe('id encoding', () => {
  it('keeps readable ids readable and hashes everything else deterministically', () => {
    expect(encodeIdPart('user-42')).toBe('user-42');
    expect(encodeIdPart('alice@example.com')).toMatch(/^x-[0-9a-f]{40}$/);
    expect(encodeIdPart('alice@example.com')).toBe(encodeIdPart('alice@example.com'));
    expect(encodeIdPart('x'.repeat(41))).toMatch(/^x-/);
  });

  it('never lets a kept id equal a hashed one', () => {
    const hashed = encodeIdPart('a b');
    expect(encodeIdPart(hashed)).not.toBe(hashed);
  });

  it('produces Redis Agent Memory ids for any ADK ids, distinct per scope', () => {
    const weird = ['', 'a', 'ü', '🚀', 'a/b', 'a:b', 'x'.repeat(500), 'user@x', ' '];
    const seen = new Map<string, string>();
    for (const app of weird) for (const user of weird) for (const session of ['s', 's/1', '']) {
      const id = ramIds.session({ namespace: app, appName: app, userId: user, sessionId: session });
      expect(id).toMatch(RAM_ID);
      const key = JSON.stringify([app, user, session]);
      expect(seen.get(id) ?? key).toBe(key);
      seen.set(id, key);
      expect(ramIds.owner(app, app, user)).toMatch(RAM_ID);
    }
  });

  it('length-prefixes tuple parts, so shifting characters between parts changes the id', () => {
    expect(tupleId('s', 'k', ['ab', 'c'])).not.toBe(tupleId('s', 'k', ['a', 'bc']));
    expect(namespaceKey('t', 'app')).not.toBe(namespaceKey('app', 'app'));
  });

  it('gives Agent Memory Server keys that separate apps, users and sessions', () => {
    const a = amsKeys.head({ namespace: 'app', appName: 'app', userId: 'u.1', sessionId: 's' });
    const b = amsKeys.head({ namespace: 'app', appName: 'app', userId: 'u', sessionId: '1.s' });
    expect(a.session_id).not.toBe(b.session_id);
    expect(a.session_id.split('.')).toHaveLength(2);
    // Journals live outside the app namespace, one namespace per session.
    const scope = { namespace: 'app', appName: 'app', userId: 'u', sessionId: 's' };
    expect(amsKeys.events(scope).namespace).not.toBe(a.namespace);
    expect(amsKeys.events(scope).namespace).not.toBe(amsKeys.events({ ...scope, sessionId: 't' }).namespace);
  });
});

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

  it('rejects cycles', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => toJson(a, 'op', 'state')).toThrow(/cycle/);
  });
});
