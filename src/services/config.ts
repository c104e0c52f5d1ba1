import { z } from 'zod';
import { createAgentMemoryServerClient, type AgentMemoryServerClient } from '../clients/agent-memory-server.js';
import { commonClientOptions, parseOptions } from '../clients/config.js';
import { ConfigurationError } from '../clients/errors.js';
import { createRedisAgentMemoryClient, type RedisAgentMemoryClient } from '../clients/redis-agent-memory.js';
import { isWellFormedText } from './validate.js';

export const BACKENDS = ['redis-agent-memory', 'opensource-agent-memory'] as const;
/** The backend a service talks to: `redis-agent-memory` (managed) or `opensource-agent-memory` (Agent Memory Server). */
export type BackendName = (typeof BACKENDS)[number];

/** Connection options shared by the session and the memory service. */
export const connectionOptions = {
  backend: z.enum(BACKENDS, { message: `must be one of ${BACKENDS.map((b) => `"${b}"`).join(', ')}` }).default('redis-agent-memory'),
  apiBaseUrl: commonClientOptions.apiBaseUrl.default('http://localhost:8000'),
  apiKey: z.string({ message: 'must be a string' }).min(1, { message: 'must not be empty when given' }).optional(),
  storeId: z.string({ message: 'must be a string' }).min(1, { message: 'must not be empty when given' }).optional(),
  timeout: commonClientOptions.timeout,
  maxRetries: commonClientOptions.maxRetries,
  retryBaseDelay: commonClientOptions.retryBaseDelay,
  fetch: commonClientOptions.fetch,
  defaultNamespace: z
    .string({ message: 'must be a string' })
    .min(1, { message: 'must not be empty when given' })
    .refine(isWellFormedText, { message: 'must be well-formed Unicode (it holds half of a surrogate pair)' })
    .optional(),
  /** Redis Agent Memory: place everything in this namespace object (`namespaceRef`) instead of the `namespace` label. */
  namespaceId: z.string({ message: 'must be a string' }).min(1, { message: 'must not be empty when given' }).optional(),
  telemetry: z
    .strictObject({ includeIds: z.boolean({ message: 'must be true or false' }).optional() }, { message: 'must be an object ({ includeIds })' })
    .optional(),
};

export type ConnectionConfig = z.output<z.ZodObject<typeof connectionOptions>>;

/** One backend's client, chosen by configuration. */
export type BackendClient =
  { kind: 'redis-agent-memory'; client: RedisAgentMemoryClient } | { kind: 'opensource-agent-memory'; client: AgentMemoryServerClient };

/** Validates service options (filling apiKey/storeId from the environment) and builds the client. */
export function resolveConnection<S extends z.ZodObject<typeof connectionOptions>>(
  schema: S,
  input: unknown,
  context: string,
): { config: z.output<S>; backend: BackendClient } {
  const config = parseOptions(schema, input, context) as z.output<S> & ConnectionConfig;
  const transport = {
    apiBaseUrl: config.apiBaseUrl,
    timeout: config.timeout,
    maxRetries: config.maxRetries,
    retryBaseDelay: config.retryBaseDelay,
    fetch: config.fetch,
  };
  if (config.backend === 'opensource-agent-memory') {
    if (config.namespaceId !== undefined) {
      throw new ConfigurationError(
        'namespaceId',
        'is a Redis Agent Memory option: Agent Memory Server has no namespace objects (use defaultNamespace)',
        context,
      );
    }
    const apiKey = config.apiKey ?? process.env.AGENT_MEMORY_API_KEY;
    return { config, backend: { kind: config.backend, client: createAgentMemoryServerClient({ ...transport, ...(apiKey ? { apiKey } : {}) }) } };
  }
  const apiKey = config.apiKey ?? process.env.AGENT_MEMORY_API_KEY;
  const storeId = config.storeId ?? process.env.AGENT_MEMORY_STORE_ID;
  if (!apiKey) throw new ConfigurationError('apiKey', 'is required for backend "redis-agent-memory": pass apiKey or set AGENT_MEMORY_API_KEY', context);
  if (!storeId) throw new ConfigurationError('storeId', 'is required for backend "redis-agent-memory": pass storeId or set AGENT_MEMORY_STORE_ID', context);
  return { config, backend: { kind: config.backend, client: createRedisAgentMemoryClient({ ...transport, apiKey, storeId }) } };
}

/** The server's extraction strategies (`MemoryStrategyConfig.strategy`). */
export const EXTRACTION_STRATEGIES = ['discrete', 'summary', 'preferences', 'custom'] as const;

/** The extraction strategy options, shared by both services. */
export const extractionOptions = {
  extractionStrategy: z.enum(EXTRACTION_STRATEGIES, { message: `must be one of ${EXTRACTION_STRATEGIES.map((s) => `"${s}"`).join(', ')}` }).optional(),
  extractionStrategyConfig: z.record(z.string(), z.unknown(), { message: 'must be an object of strategy options' }).optional(),
};

/**
 * The strategy to send, validated as the server would: a config needs a strategy, and `custom`
 * needs `custom_prompt` (the server refuses to extract without it).
 */
export function extractionStrategyOf(
  cfg: { extractionStrategy?: (typeof EXTRACTION_STRATEGIES)[number] | undefined; extractionStrategyConfig?: Record<string, unknown> | undefined },
  context: string,
) {
  if (cfg.extractionStrategyConfig !== undefined && cfg.extractionStrategy === undefined) {
    throw new ConfigurationError('extractionStrategyConfig', 'needs extractionStrategy (the strategy it configures)', context);
  }
  if (cfg.extractionStrategy === undefined) return undefined;
  const config = cfg.extractionStrategyConfig ?? {};
  if (cfg.extractionStrategy === 'custom' && (typeof config.custom_prompt !== 'string' || !config.custom_prompt.trim())) {
    throw new ConfigurationError('extractionStrategyConfig', 'must hold custom_prompt (a non-empty string) for extractionStrategy "custom"', context);
  }
  return { strategy: cfg.extractionStrategy, config };
}

/**
 * Rejects, at construction, every option set here that the chosen backend's API has no
 * counterpart for: an option is never silently ignored.
 */
export function rejectUnsupported(config: Record<string, unknown>, backend: BackendName, agentMemoryServerOnly: readonly string[], context: string): void {
  if (backend !== 'redis-agent-memory') return;
  const set = agentMemoryServerOnly.find((name) => config[name] !== undefined);
  if (set) throw new ConfigurationError(set, 'is an Agent Memory Server option: backend "redis-agent-memory" has nothing it could apply it to', context);
}
