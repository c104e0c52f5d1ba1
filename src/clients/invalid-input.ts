import { InvalidInputError } from './errors.js';

/** The InvalidInputError for one field: "<operation>: <field> <message>", with the rule's short name. */
export function invalidInput(operation: string, field: string, message: string, rule = message): InvalidInputError {
  return new InvalidInputError(`${operation}: ${field} ${message}`, { operation, type: 'invalid-input', fields: [{ field, rule, message }] });
}
