import type { InvalidInputError } from '../clients/errors.js';
import { invalidInput } from '../clients/invalid-input.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Copies a value into plain JSON, failing with a clear error (naming the path) on anything JSON
 * cannot carry faithfully: functions, symbols, bigints, non-finite numbers, cycles, class
 * instances such as Date or Map. Undefined object members are dropped, as JSON does.
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
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw invalid(
        operation,
        path,
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- an object made with Object.create(null) has no constructor
        `is a ${value.constructor?.name ?? 'class instance'}; only plain objects, arrays, strings, finite numbers, booleans and null can be stored`,
      );
    }
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      out[k] = toJson(v, operation, `${path}.${k}`, seen);
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
