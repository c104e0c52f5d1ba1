import { isRecord, textOf } from '../codec/json.js';
import { errorClassForStatus, isRetryable, RateLimitError, type AgentMemoryError, type FieldViolation } from './errors.js';

/**
 * Reads the two error body shapes the backends use into one typed error:
 * Redis Agent Memory's problem details `{type, title, status, detail, fields}` and
 * FastAPI's `{detail: string}` or `{detail: [{loc, msg, type}]}` (Agent Memory Server).
 */
export function errorFromResponse(operation: string, status: number, body: unknown, retryAfterMs?: number): AgentMemoryError {
  let type: string | undefined;
  let detail: string | undefined;
  let fields: FieldViolation[] = [];
  if (isRecord(body)) {
    if (typeof body.type === 'string') type = body.type;
    if (typeof body.detail === 'string') detail = body.detail;
    else if (typeof body.title === 'string') detail = body.title;
    if (Array.isArray(body.fields)) fields = body.fields.filter(isRecord).map(problemField);
    if (Array.isArray(body.detail)) {
      fields = body.detail.filter(isRecord).map(fastApiField);
      detail = fields.map((f) => `${f.field}: ${f.message}`).join('; ');
    }
  } else if (typeof body === 'string' && body.trim()) {
    detail = body.trim().slice(0, 500);
  }
  const Cls = errorClassForStatus(status);
  const summary = detail ? `: ${detail}` : '';
  const err = new Cls(`${operation} failed with HTTP ${status}${summary}`, {
    operation,
    status,
    type,
    detail,
    fields,
    retryable: isRetryable(status, type),
  });
  if (err instanceof RateLimitError) err.retryAfterMs = retryAfterMs;
  return err;
}

function problemField(f: Record<string, unknown>): FieldViolation {
  return { field: textOf(f.field), rule: textOf(f.rule), message: textOf(f.message) };
}

function fastApiField(f: Record<string, unknown>): FieldViolation {
  const loc = Array.isArray(f.loc) ? f.loc.map(textOf).join('.') : '';
  return { field: loc, rule: textOf(f.type), message: textOf(f.msg) };
}

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds from now. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
