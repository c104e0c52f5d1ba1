import { getSessionServiceFromUri, type BaseSessionService } from '@google/adk';
import { ConfigurationError } from '../clients/errors.js';
import { RedisLongTermMemoryService } from '../services/memory-service.js';
import { RedisSessionMemoryService, type RedisSessionMemoryServiceConfig } from '../services/session-service.js';

/**
 * Where sessions live, as a URI:
 *
 * - ADK's own, through its `getSessionServiceFromUri`: `sqlite://<file>`, `postgresql://…`,
 *   `mysql://…`, `memory://` (a fresh in-memory service).
 * - Agent Memory Server: `agent-memory-server+http://host:port` (or `+https`); optional
 *   `?namespace=<defaultNamespace>`. The API key, when the server wants one, from AGENT_MEMORY_API_KEY.
 * - Redis Agent Memory: `redis-agent-memory+https://host[/path]?store=<storeId>`; optional
 *   `namespace=<defaultNamespace>` and `namespaceId=<namespace object>`. The API key from
 *   AGENT_MEMORY_API_KEY; the store from AGENT_MEMORY_STORE_ID when the URI names none.
 */
export const URI_HELP = `  sqlite://<file> | postgresql://… | mysql://… | memory://     ADK's own session services
  agent-memory-server+http://host:port[?namespace=<ns>]          Agent Memory Server
  redis-agent-memory+https://host[/path]?store=<id>[&namespace=<ns>][&namespaceId=<id>]
                                                                 Redis Agent Memory
  API keys come from AGENT_MEMORY_API_KEY (and a missing store from AGENT_MEMORY_STORE_ID).`;

const PREFIX = /^(agent-memory-server|redis-agent-memory)\+(https?):\/\//i;

/** A URL's scheme, host and path, without a trailing slash or a query: the API base URL of a backend. */
function baseUrlOf(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '')}`;
}

/**
 * The backend connection a URI of this package names, or undefined for an ADK URI. The API key
 * (never in a URI, where logs and shell history would keep it) and a store the URI does not name
 * come from `env`.
 */
export function backendConfigOf(uri: string, env: NodeJS.ProcessEnv = process.env): RedisSessionMemoryServiceConfig | undefined {
  const m = PREFIX.exec(uri);
  if (!m) return undefined;
  const managed = m[1]!.toLowerCase() === 'redis-agent-memory';
  const url = new URL(uri.slice(m[1]!.length + 1));
  const params = url.searchParams;
  const known = managed ? ['store', 'namespace', 'namespaceId'] : ['namespace'];
  const unknown = [...params.keys()].find((k) => !known.includes(k));
  if (unknown) throw new ConfigurationError(unknown, `is not a parameter of ${m[1]} URIs (known: ${known.join(', ')})`, 'adk-redis');
  const apiBaseUrl = baseUrlOf(url);
  const namespace = params.get('namespace');
  const apiKey = env.AGENT_MEMORY_API_KEY;
  const common = { apiBaseUrl, ...(apiKey ? { apiKey } : {}), ...(namespace ? { defaultNamespace: namespace } : {}) };
  if (!managed) return { backend: 'opensource-agent-memory', ...common };
  const store = params.get('store') ?? env.AGENT_MEMORY_STORE_ID;
  const namespaceId = params.get('namespaceId');
  return { backend: 'redis-agent-memory', ...common, ...(store ? { storeId: store } : {}), ...(namespaceId ? { namespaceId } : {}) };
}

/** The session service a URI names. */
export function sessionServiceOf(uri: string): BaseSessionService {
  const config = backendConfigOf(uri);
  return config ? new RedisSessionMemoryService(config) : getSessionServiceFromUri(uri);
}

/** The memory service of a URI of this package (ADK's URIs have none this command can erase). */
export function memoryServiceOf(uri: string): RedisLongTermMemoryService {
  const config = backendConfigOf(uri);
  if (!config) throw new ConfigurationError('url', 'must be an agent-memory-server+… or redis-agent-memory+… URI', 'adk-redis');
  return new RedisLongTermMemoryService(config);
}

/** The URI of a backend connection (the inverse of backendConfigOf); the API key stays out of it. */
export function uriOfBackend(config: RedisSessionMemoryServiceConfig): string {
  const url = new URL(config.apiBaseUrl ?? 'http://localhost:8000');
  const params = new URLSearchParams();
  const managed = (config.backend ?? 'redis-agent-memory') === 'redis-agent-memory';
  if (managed && config.storeId) params.set('store', config.storeId);
  if (config.defaultNamespace) params.set('namespace', config.defaultNamespace);
  if (managed && config.namespaceId) params.set('namespaceId', config.namespaceId);
  const query = params.size ? `?${params}` : '';
  return `${managed ? 'redis-agent-memory' : 'agent-memory-server'}+${baseUrlOf(url)}${query}`;
}
