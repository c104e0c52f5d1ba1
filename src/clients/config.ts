import { z } from 'zod';
import { ConfigurationError } from './errors.js';

/** The id rule of Redis Agent Memory: store, session, actor, owner, namespace and memory ids. */
export const RESOURCE_ID_PATTERN = /^[a-zA-Z0-9-]+$/;
export const RESOURCE_ID_MAX_LENGTH = 64;

/** A `fetch` of one Request, for tests and custom transports. */
export type FetchLike = (input: Request) => Promise<Response>;

const fetchSchema = z.custom<FetchLike>((v) => typeof v === 'function', { message: 'must be a fetch-compatible function' });

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
  } catch {
    return false;
  }
}

/** Options every backend client understands. */
export const commonClientOptions = {
  apiBaseUrl: z.string({ message: 'must be a string' }).refine(isHttpUrl, { message: 'must be an absolute http(s) URL, e.g. http://localhost:8000' }),
  timeout: z
    .number({ message: 'must be a number of seconds' })
    .positive({ message: 'must be greater than 0 (seconds)' })
    .max(3600, { message: 'must be at most 3600 seconds' })
    .default(30),
  maxRetries: z
    .number({ message: 'must be a whole number' })
    .int({ message: 'must be a whole number' })
    .min(0, { message: 'must be 0 or more' })
    .max(10, { message: 'must be at most 10' })
    .default(2),
  retryBaseDelay: z
    .number({ message: 'must be a number of seconds' })
    .min(0, { message: 'must be 0 or more (seconds)' })
    .max(60, { message: 'must be at most 60 seconds' })
    .default(0.2),
  fetch: fetchSchema.optional(),
};

export const redisAgentMemoryClientOptionsSchema = z.strictObject({
  ...commonClientOptions,
  apiKey: z.string({ message: 'is required: the Redis Agent Memory API key (or set AGENT_MEMORY_API_KEY)' }).min(1, { message: 'must not be empty' }),
  storeId: z
    .string({ message: 'is required: the Redis Agent Memory store id (or set AGENT_MEMORY_STORE_ID)' })
    .min(1, { message: 'must not be empty' })
    .max(RESOURCE_ID_MAX_LENGTH, { message: `must be at most ${RESOURCE_ID_MAX_LENGTH} characters` })
    .regex(RESOURCE_ID_PATTERN, { message: 'must match ^[a-zA-Z0-9-]+$ (letters, digits and dashes)' }),
});

export const agentMemoryServerClientOptionsSchema = z.strictObject({
  ...commonClientOptions,
  apiKey: z.string({ message: 'must be a string' }).min(1, { message: 'must not be empty when given' }).optional(),
});

/** Options of createRedisAgentMemoryClient: base URL, API key, store id, timeout, retries, fetch. */
export type RedisAgentMemoryClientOptions = z.input<typeof redisAgentMemoryClientOptionsSchema>;
/** Options of createAgentMemoryServerClient: base URL, optional API key, timeout, retries, fetch. */
export type AgentMemoryServerClientOptions = z.input<typeof agentMemoryServerClientOptionsSchema>;

/**
 * Validates options with a zod schema; the first violation becomes a ConfigurationError that
 * names the option and its rule. Values are never echoed, so a secret cannot leak from here.
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, context: string): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const option = issue.path.map(String).join('.') || '(options)';
  const rule = issue.code === 'unrecognized_keys' ? `unknown option(s): ${issue.keys.join(', ')}` : issue.message;
  // An unknown key of a nested option is named with its parent (`telemetry.ids`).
  const unknown = issue.code === 'unrecognized_keys' ? [...issue.path.map(String), issue.keys[0] ?? ''].filter(Boolean).join('.') : undefined;
  throw new ConfigurationError(unknown || option, rule, context);
}
