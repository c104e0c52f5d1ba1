/**
 * Agent Memory Server keeps a working memory's `data` in RedisJSON, whose JSON parser reads some
 * numbers one unit in the last place off: it turns the decimal digits into an integer and
 * multiplies or divides it by a power of ten once, which is exact only when the digits fit in 53
 * bits and the power is at most 10^22. Every such number round-trips; about one in eight of
 * `Math.random()`'s does not (0.17624703093905159 comes back as 0.1762470309390516;
 * test/real/exact-numbers.test.ts). So each document that holds a number outside that class also
 * carries, beside what other clients read, the exact text of each such number and where it is;
 * readers put them back. The stored value stays a number, so its shape is what was written.
 */
import { isRecord } from './json.js';

/** Where a number sits in a JSON value (keys and indices from the top), and its exact text. */
export type NumberPatch = [path: (string | number)[], text: string];

const MAX_DIGITS = 2n ** 53n;
const MAX_POWER = 22;

/** Whether RedisJSON reads the number as JavaScript writes it back exactly. */
export function storedExactly(n: number): boolean {
  if (Number.isSafeInteger(n) || !Number.isFinite(n)) return true;
  // String(n) is the shortest text that reads back as n: its digits and power of ten are what the parser sees.
  const m = /^-?(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(n));
  if (!m) return false;
  const fraction = m[2] ?? '';
  const digits = BigInt(`${m[1]}${fraction}`);
  const power = Number(m[3] ?? 0) - fraction.length;
  return digits <= MAX_DIGITS && Math.abs(power) <= MAX_POWER;
}

/** The numbers of a JSON value RedisJSON would not read exactly, with their places. */
export function inexactNumbers(value: unknown): NumberPatch[] {
  const patches: NumberPatch[] = [];
  const walk = (v: unknown, path: (string | number)[]): void => {
    if (typeof v === 'number') {
      if (!storedExactly(v)) patches.push([[...path], String(v)]);
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, [...path, i]));
    } else if (isRecord(v)) {
      for (const [k, item] of Object.entries(v)) walk(item, [...path, k]);
    }
  };
  walk(value, []);
  return patches;
}

/**
 * A value read back with its exact numbers put back. A patch whose place no longer holds a number
 * (another writer's change to the document without its patches) is left out: only a number is
 * ever replaced, and only by the number written there.
 */
export function withExactNumbers(value: unknown, patches: unknown): unknown {
  if (!Array.isArray(patches) || !patches.length) return value;
  let root = value;
  for (const patch of patches) {
    if (!Array.isArray(patch) || patch.length !== 2) continue;
    const [path, text] = patch as [unknown, unknown];
    if (!Array.isArray(path) || typeof text !== 'string') continue;
    const exact = Number(text);
    if (!Number.isFinite(exact)) continue;
    if (!path.length) {
      if (typeof root === 'number') root = exact;
      continue;
    }
    let parent: unknown = root;
    for (const step of path.slice(0, -1)) parent = childOf(parent, step);
    const last: unknown = path.at(-1);
    if (Array.isArray(parent) && typeof last === 'number' && typeof parent[last] === 'number') parent[last] = exact;
    else if (isRecord(parent) && typeof last === 'string' && Object.hasOwn(parent, last) && typeof parent[last] === 'number') {
      Object.defineProperty(parent, last, { value: exact, enumerable: true, writable: true, configurable: true });
    }
  }
  return root;
}

function childOf(parent: unknown, step: unknown): unknown {
  if (Array.isArray(parent) && typeof step === 'number') return parent[step];
  if (isRecord(parent) && typeof step === 'string' && Object.hasOwn(parent, step)) return parent[step];
  return undefined;
}

/**
 * The `data` of a working memory whose `adk` field is this payload: `others` (what else the
 * document's data holds, another client's included) with the payload and, when it needs them, its
 * exact numbers (`adkExact`, replaced on every write so it never describes an older payload).
 */
export function dataWithAdk<A, O extends Record<string, unknown> = Record<never, never>>(
  adk: A,
  others?: O,
): Omit<O, 'adkExact'> & { adk: A; adkExact?: NumberPatch[] } {
  const { adkExact: _stale, ...rest } = others ?? ({} as O);
  const patches = inexactNumbers(adk);
  return { ...rest, adk, ...(patches.length ? { adkExact: patches } : {}) };
}

/** The `adk` payload of a working memory's `data`, its exact numbers put back; undefined when it has none. */
export function adkOf(data: unknown): unknown {
  return isRecord(data) ? withExactNumbers(data.adk, data.adkExact) : undefined;
}
