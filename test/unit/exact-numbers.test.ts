import { describe, expect, it } from 'vitest';
import { adkOf, dataWithAdk, inexactNumbers, storedExactly, withExactNumbers } from '../../src/codec/exact-numbers.js';

/** The next double away from zero: what RedisJSON's parser can return instead of a number. */
function oneUlpOff(n: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, n);
  view.setBigUint64(0, view.getBigUint64(0) + 1n);
  return view.getFloat64(0);
}

/** A JSON value as the server returns it: every number outside the exact class one unit off. */
function asReadBack(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (_k, v: unknown) => (typeof v === 'number' && !storedExactly(v) ? oneUlpOff(v) : v));
}

describe('numbers kept exact across RedisJSON', () => {
  it('calls exact what one multiplication or division of 53-bit digits by 10^22 at most gives', () => {
    for (const n of [0, 1, -1, 0.1, 0.3, 1 / 3, Math.PI, 123456.789, 1e21, 1e22, 2 ** 53 - 1, -(2 ** 53 - 1), 9007199254740992e-22, 1.5e-20])
      expect(storedExactly(n), String(n)).toBe(true);
    // 17 digits, more than 53 bits; powers past 10^22.
    for (const n of [0.17624703093905159, 0.30000000000000004, 1 / 7, 5e-324, 1.7976931348623157e308, 1e23, 1e-23, -8.537630962471415e-243, 2 ** 53 + 2])
      expect(storedExactly(n), String(n)).toBe(false);
  });

  it('lists the places of the others and puts them back over what the server returned', () => {
    const payload = { a: 1, b: [0.5, 0.1 + 0.2, { c: 1.1 * 1.1 }], __proto__x: 0.17624703093905159, s: '0.1' };
    Object.defineProperty(payload, '__proto__', { value: 1 / 7, enumerable: true, writable: true, configurable: true });
    const patches = inexactNumbers(payload);
    expect(patches).toEqual([
      [['b', 1], '0.30000000000000004'],
      [['b', 2, 'c'], '1.2100000000000002'],
      [['__proto__x'], '0.17624703093905159'],
      [['__proto__'], String(1 / 7)],
    ]);
    const read = asReadBack(payload) as typeof payload;
    expect(read.b[1]).not.toBe(0.1 + 0.2);
    expect(withExactNumbers(read, patches)).toEqual(payload);
    expect(Object.getOwnPropertyDescriptor(read, '__proto__')?.value).toBe(1 / 7);
    expect(withExactNumbers(asReadBack(1 / 7), [[[], String(1 / 7)]])).toBe(1 / 7);
  });

  it('replaces only numbers, and ignores patches that do not fit what was read', () => {
    const read = { a: 'text', b: [1], c: { d: 2 } };
    const patches = [[['a'], '1.5'], [['b', 5], '1.5'], [['c', 'x', 'y'], '1.5'], [['c', 'd'], 'not a number-ish'], 'junk', [[0], '1'], [['b', '0'], '3']];
    expect(withExactNumbers(structuredClone(read), patches)).toEqual({ a: 'text', b: [1], c: { d: 2 } });
    expect(withExactNumbers(read, 'junk')).toEqual(read);
  });

  it('writes the patches beside the payload, replacing stale ones, and reads the payload back exact', () => {
    expect(dataWithAdk({ n: 1 }, { other: 'kept', adkExact: [[['n'], '2']] })).toEqual({ other: 'kept', adk: { n: 1 } });
    const data = dataWithAdk({ n: 1 / 7 }, { other: 'kept' });
    expect(data).toEqual({ other: 'kept', adk: { n: 1 / 7 }, adkExact: [[['n'], String(1 / 7)]] });
    expect(adkOf(asReadBack(data))).toEqual({ n: 1 / 7 });
    expect(adkOf(undefined)).toBeUndefined();
  });
});
