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

/** The backend connection a URI of this package names, or undefined for an ADK URI. */
export function backendConfigOf(uri: string): RedisSessionMemoryServiceConfig | undefined {
  const m = PREFIX.exec(uri);
  if (!m) return undefined;
  const managed = m[1]!.toLowerCase() === 'redis-agent-memory';
  const url = new URL(uri.slice(m[1]!.length + 1));
  const params = url.searchParams;
  const known = managed ? ['store', 'namespace', 'namespaceId'] : ['namespace'];
  const unknown = [...params.keys()].find((k) => !known.includes(k));
  if (unknown) throw new ConfigurationError(unknown, `is not a parameter of ${m[1]} URIs (known: ${known.join(', ')})`, 'adk-redis');
  const apiBaseUrl = `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '')}`;
  const namespace = params.get('namespace');
  const common = { apiBaseUrl, ...(namespace ? { defaultNamespace: namespace } : {}) };
  if (!managed) return { backend: 'opensource-agent-memory', ...common };
  const store = params.get('store');
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
