import { InvalidInputError } from '../clients/errors.js';

/** Checks that a request field is a non-empty string; the error names the field and the rule. */
export function requireId(operation: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    const rule = 'must be a non-empty string';
    throw new InvalidInputError(`${operation}: ${field} ${rule}`, { operation, type: 'invalid-input', fields: [{ field, rule: 'non-empty-string', message: rule }] });
  }
  return value;
}

/** Checks an optional whole number against a lower bound. */
export function optionalCount(operation: string, field: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    const rule = `must be a whole number >= ${min}`;
    throw new InvalidInputError(`${operation}: ${field} ${rule}`, { operation, type: 'invalid-input', fields: [{ field, rule: 'integer', message: rule }] });
  }
  return value;
}
