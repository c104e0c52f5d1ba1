import type { BodyValidator } from '../../generated/redis-agent-memory.validators.js';

/**
 * What an operation's spec says about its success response, compiled from specs/ by
 * `npm run generate` (generated/*.validators.ts). No `body` means the spec gives it none.
 */
export interface ResponseSpec {
  status: number;
  body?: BodyValidator;
}

/**
 * Undefined when a successful response's body is what the spec describes; otherwise the first
 * wrong field and the rule it breaks. Extra fields are accepted (the generator leaves objects
 * open), so a backend that adds fields keeps working.
 */
export function responseProblem(spec: ResponseSpec, body: unknown): string | undefined {
  if (!spec.body) return body === undefined ? undefined : 'body: the API specifies no body for this response';
  if (spec.body(body)) return undefined;
  const error = spec.body.errors?.[0];
  if (!error) return 'body: does not match the API';
  const at = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (error.keyword === 'required' && typeof error.params.missingProperty === 'string') {
    return `${[...at, error.params.missingProperty].join('.')}: is required`;
  }
  return `${at.join('.') || 'body'}: ${error.message ?? `breaks ${error.keyword}`}`;
}

/** Looks up an operation's response spec; a name the spec lacks is a programming error here. */
export function responseSpecOf(table: Readonly<Record<string, ResponseSpec>>, operation: string): ResponseSpec {
  const spec = table[operation];
  if (!spec) throw new Error(`no response spec for operation ${operation}; is specs/ out of date?`);
  return spec;
}
