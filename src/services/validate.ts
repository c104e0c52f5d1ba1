import { invalidInput } from '../clients/invalid-input.js';

/** A lone UTF-16 surrogate: half a character, which neither a URL nor UTF-8 can carry. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether a string is well-formed Unicode (no lone surrogate). */
export function isWellFormedText(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/** Checks that a request field is a non-empty string of whole characters; the error names the field and the rule. */
export function requireId(operation: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalidInput(operation, field, 'must be a non-empty string', 'non-empty-string');
  }
  if (!isWellFormedText(value)) {
    throw invalidInput(operation, field, 'must be well-formed Unicode (it holds half of a surrogate pair)', 'well-formed-unicode');
  }
  return value;
}

/** Checks an optional whole number against a lower bound. */
export function optionalCount(operation: string, field: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw invalidInput(operation, field, `must be a whole number >= ${min}`, 'integer');
  }
  return value;
}

/**
 * A request as a JavaScript caller may pass it: any field missing, or no request at all. The
 * types say what ADK passes; the checks are for everyone else, so they read through this.
 */
export function untrusted<T extends object>(value: T): Partial<T> | undefined {
  return value;
}
