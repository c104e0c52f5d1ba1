/**
 * How Agent Memory Server (FastAPI, pydantic v2) writes values and validation errors, so the
 * reference server's bodies are the real server's, byte for byte where a client can tell.
 */
import type { Outgoing } from '../http.js';

/** One item of FastAPI's 422 `detail` list. */
export interface ValidationItem {
  type: string;
  loc: (string | number)[];
  msg: string;
  input?: unknown;
  ctx?: Record<string, unknown>;
}

export const detail = (status: number, text: string): Outgoing => ({ status, body: { detail: text } });
export const unprocessable = (items: ValidationItem[]): Outgoing => ({ status: 422, body: { detail: items } });

/** The errors pydantic reports for the rules the server's models state. */
export const invalid = {
  missing: (loc: (string | number)[], input: unknown): ValidationItem => ({ type: 'missing', loc, msg: 'Field required', input }),
  int: (loc: (string | number)[], input: unknown): ValidationItem => ({
    type: 'int_parsing',
    loc,
    msg: 'Input should be a valid integer, unable to parse string as an integer',
    input,
  }),
  ge: (loc: (string | number)[], input: unknown, ge: number): ValidationItem => ({
    type: 'greater_than_equal',
    loc,
    msg: `Input should be greater than or equal to ${ge}`,
    input,
    ctx: { ge },
  }),
  le: (loc: (string | number)[], input: unknown, le: number): ValidationItem => ({
    type: 'less_than_equal',
    loc,
    msg: `Input should be less than or equal to ${le}`,
    input,
    ctx: { le },
  }),
  string: (loc: (string | number)[], input: unknown): ValidationItem => ({ type: 'string_type', loc, msg: 'Input should be a valid string', input }),
  dict: (loc: (string | number)[], input: unknown): ValidationItem => ({ type: 'dict_type', loc, msg: 'Input should be a valid dictionary', input }),
  list: (loc: (string | number)[], input: unknown): ValidationItem => ({ type: 'list_type', loc, msg: 'Input should be a valid list', input }),
  datetime: (loc: (string | number)[], input: unknown): ValidationItem => ({
    type: 'datetime_from_date_parsing',
    loc,
    msg: 'Input should be a valid datetime or date, invalid character in year',
    input,
    ctx: { error: 'invalid character in year' },
  }),
  enum: (loc: (string | number)[], input: unknown, values: string[]): ValidationItem => {
    const expected = values
      .map((v) => `'${v}'`)
      .join(', ')
      .replace(/, ('[^']*')$/, ' or $1');
    return { type: 'enum', loc, msg: `Input should be ${expected}`, input, ctx: { expected } };
  },
  value: (loc: (string | number)[], input: unknown, message: string): ValidationItem => ({
    type: 'value_error',
    loc,
    msg: `Value error, ${message}`,
    input,
    ctx: { error: {} },
  }),
};

/** A point in time as pydantic keeps it: epoch milliseconds, the microseconds below them, and the offset written. */
export interface PyDatetime {
  ms: number;
  micro: number;
  /** Minutes east of UTC as the input wrote it; 0 is written `Z`. */
  offsetMinutes: number;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/** Parses an ISO 8601 datetime as pydantic accepts it (a value without offset is taken as UTC here). */
export function parsePyDatetime(text: string): PyDatetime | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  let offsetMinutes = 0;
  if (tz && tz !== 'Z' && tz !== 'z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
  }
  const fraction = (frac ?? '').padEnd(6, '0').slice(0, 6);
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0)) - offsetMinutes * 60_000;
  if (!Number.isFinite(utc)) return undefined;
  return { ms: utc + Math.floor(Number(fraction) / 1000), micro: Number(fraction) % 1000, offsetMinutes };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Writes a datetime as pydantic's JSON does: microseconds only when not zero, `Z` for UTC. */
export function formatPyDatetime(t: PyDatetime): string {
  const local = new Date(t.ms + t.offsetMinutes * 60_000);
  const micro = (local.getUTCMilliseconds() * 1000 + t.micro) % 1_000_000;
  const base = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  const fraction = micro ? `.${pad(micro, 6)}` : '';
  if (!t.offsetMinutes) return `${base}${fraction}Z`;
  const abs = Math.abs(t.offsetMinutes);
  return `${base}${fraction}${t.offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** An input datetime written back as pydantic writes it (unchanged when it is not one). */
export function pyDatetime(text: string): string {
  const t = parsePyDatetime(text);
  return t ? formatPyDatetime(t) : text;
}

/** Python's `datetime.isoformat()` of a UTC time: microseconds when not zero, `+00:00`. */
export function pyIsoformat(ms: number): string {
  return formatPyDatetime({ ms, micro: 0, offsetMinutes: 0 }).replace(/Z$/, '+00:00');
}

/** Now, as `datetime.now(UTC)` writes it. */
export function pyNow(): string {
  return formatPyDatetime({ ms: Date.now(), micro: 0, offsetMinutes: 0 });
}

/** Whole seconds, as the server stores a working memory's times (`int(dt.timestamp())`). */
export function pySeconds(text: string): string {
  const t = parsePyDatetime(text);
  return t ? formatPyDatetime({ ms: Math.floor(t.ms / 1000) * 1000, micro: 0, offsetMinutes: 0 }) : text;
}

/**
 * A time read back from the long-term index: stored as epoch seconds, read back through
 * RediSearch with 12 significant digits (about 10 ms today).
 */
export function pyIndexed(text: string): string {
  const t = parsePyDatetime(text);
  if (!t) return text;
  const seconds = Number(((t.ms + t.micro / 1000) / 1000).toPrecision(12));
  const micros = Math.round(seconds * 1_000_000);
  return formatPyDatetime({ ms: Math.floor(micros / 1000), micro: micros % 1000, offsetMinutes: 0 });
}

/** Python's `json.dumps(value, sort_keys=True)` for flat objects of strings and nulls (the memory hash input). */
export function pythonJsonSorted(value: Record<string, string | null>): string {
  const str = (s: string) =>
    `"${[...s]
      .map((c) => {
        const code = c.codePointAt(0)!;
        if (c === '"') return '\\"';
        if (c === '\\') return '\\\\';
        if (c === '\n') return '\\n';
        if (c === '\r') return '\\r';
        if (c === '\t') return '\\t';
        if (c === '\b') return '\\b';
        if (c === '\f') return '\\f';
        if (code < 0x20) return `\\u${code.toString(16).padStart(4, '0')}`;
        if (code < 0x80) return c;
        // ensure_ascii: every other character as UTF-16 code units, \\uXXXX each
        return code > 0xffff
          ? `\\u${(0xd800 + ((code - 0x10000) >> 10)).toString(16)}\\u${(0xdc00 + ((code - 0x10000) & 0x3ff)).toString(16)}`
          : `\\u${code.toString(16).padStart(4, '0')}`;
      })
      .join('')}"`;
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${str(k)}: ${value[k] === null ? 'null' : str(value[k]!)}`)
    .join(', ')}}`;
}
