import type { InvalidInputError } from '../clients/errors.js';
import { invalidInput } from '../clients/invalid-input.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Sets an own, enumerable property, whatever the key. A plain assignment of `__proto__` would
 * re-parent the object instead and the key would be lost; ADK keeps such a state key as an own
 * property (its session services define state keys this way), so every map of user keys here does too.
 */
export function setOwn(target: object, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else (target as Record<string, unknown>)[key] = value;
}

/** `Object.assign` for maps of user keys: every key of `source` becomes an own property of `target`. */
export function assignOwn<T extends object>(target: T, source: object): T {
  for (const [k, v] of Object.entries(source)) setOwn(target, k, v);
  return target;
}

/**
 * Built-in objects whose data lives in internal slots, not in own fields: stored as their fields
 * they would come back empty (`{}`), so they are refused instead of losing what they hold.
 */
const SLOTTED: readonly (abstract new (...args: never[]) => object)[] = [
  Date,
  RegExp,
  Map,
  Set,
  WeakMap,
  WeakSet,
  WeakRef,
  Promise,
  ArrayBuffer,
  SharedArrayBuffer,
  DataView,
  Error,
  Number,
  String,
  Boolean,
  BigInt as unknown as abstract new () => object,
  Symbol as unknown as abstract new () => object,
  URL,
  URLSearchParams,
];

/** Per prototype: whether an instance's data is all in its own fields (see `isDataInstance`). */
const dataPrototypes = new WeakMap<object, boolean>();

/**
 * Whether a class instance carries all its data in its own enumerable fields, so that storing those
 * fields keeps it whole: ADK's `ToolConfirmation`, `@google/genai`'s `FunctionResponse` or
 * `GenerateContentResponseUsageMetadata`, a user's own data class. Not when it is a built-in with
 * internal slots, or its prototype chain has accessors (data behind getters) or a `toJSON` (a
 * JSON form of its own): those would not read back as they were.
 */
function isDataInstance(value: object, proto: object): boolean {
  const known = dataPrototypes.get(proto);
  if (known !== undefined) return known;
  let plainData = !ArrayBuffer.isView(value) && !SLOTTED.some((C) => value instanceof C);
  for (let p: object | null = proto; plainData && p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const name of Reflect.ownKeys(p)) {
      const d = Object.getOwnPropertyDescriptor(p, name)!;
      if (d.get || d.set || name === 'toJSON') plainData = false;
    }
  }
  dataPrototypes.set(proto, plainData);
  return plainData;
}

/**
 * Copies a value into plain JSON, failing with a clear error (naming the path) on anything JSON
 * cannot carry faithfully: functions, symbols, bigints, non-finite numbers, cycles, built-ins such
 * as Date or Map. A class instance whose data is all in its own fields (ADK puts `ToolConfirmation`
 * instances into events) is stored as those fields and reads back as a plain object, as ADK's
 * `DatabaseSessionService` stores it. Undefined object members are dropped, as JSON does; a
 * `__proto__` key is kept as an own member.
 */
export function toJson(value: unknown, operation: string, path: string, seen = new Set<object>()): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    throw invalid(operation, path, `is ${value}, which JSON cannot represent`);
  }
  if (typeof value !== 'object') throw invalid(operation, path, `is a ${typeof value}, which cannot be stored as JSON`);
  if (seen.has(value)) throw invalid(operation, path, 'contains a cycle');
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      return value.map((v, i) => (v === undefined ? null : toJson(v, operation, `${path}[${i}]`, seen)));
    }
    const proto = Object.getPrototypeOf(value) as object | null;
    if (proto !== Object.prototype && proto !== null && !isDataInstance(value, proto)) {
      throw invalid(
        operation,
        path,
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- an object made with Object.create(null) has no constructor
        `is a ${value.constructor?.name ?? 'class instance'}, whose data is not in its own fields; only plain objects, instances of data classes (such as ADK's ToolConfirmation), arrays, strings, finite numbers, booleans and null can be stored`,
      );
    }
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      setOwn(out, k, toJson(v, operation, `${path}.${k}`, seen));
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

/**
 * `toJson` of a value that must be a JSON object: a value of Agent Memory Server's `data`
 * (`dict[str, str | int | float | bool | list | dict]`, so never null at its top level).
 */
export function toJsonObject(value: unknown, operation: string, path: string): { [key: string]: JsonValue } {
  const json = toJson(value, operation, path);
  if (!isRecord(json)) throw invalid(operation, path, 'must be an object');
  return json;
}

function invalid(operation: string, path: string, rule: string): InvalidInputError {
  return invalidInput(operation, path, rule, 'json');
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value as text for a message or a key: strings as they are, other values as JSON ('' for none). */
export function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- JSON.stringify returns undefined for functions and symbols, whatever its type says
  return JSON.stringify(v) ?? '';
}
