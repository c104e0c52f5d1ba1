// The services a dev command runs with, built from its URI flags and checked once at start: a bad
// URI, an unreachable backend, a wrong key or a missing store stops the command before it serves,
// with one line naming the flag, instead of failing at a user's first request.
import {
  getArtifactServiceFromUri,
  getSessionServiceFromUri,
  InMemoryMemoryService,
  type BaseArtifactService,
  type BaseMemoryService,
  type BaseSessionService,
} from '@google/adk';
import { z } from 'zod';
import { AgentMemoryError, ConfigurationError } from '../clients/errors.js';
import { backendConfigOf } from '../cli/uris.js';
import { connectionOptions, resolveConnection } from '../services/config.js';
import { RedisLongTermMemoryService } from '../services/memory-service.js';
import { RedisSessionMemoryService, type RedisSessionMemoryServiceConfig } from '../services/session-service.js';
import type { DevCommand } from './flags.js';

/** The services a dev command runs with, each backend already checked. */
export interface DevServices {
  sessionService: BaseSessionService;
  memoryService: BaseMemoryService;
  artifactService: BaseArtifactService;
  /** Where each lives, for the start-up lines (no keys in them). */
  where: { sessions: string; memory: string };
}

type Flag = '--session_service_uri' | '--memory_service_uri' | '--artifact_service_uri';

const BACKEND_NAMES = { 'opensource-agent-memory': 'Agent Memory Server', 'redis-agent-memory': 'Redis Agent Memory' } as const;

/** A URI of this package's form, as a connection; every problem named after the flag. */
function backendOf(uri: string, flag: Flag, context: string, env: NodeJS.ProcessEnv): RedisSessionMemoryServiceConfig | undefined {
  try {
    return backendConfigOf(uri, env);
  } catch (e) {
    if (e instanceof ConfigurationError) throw new ConfigurationError(flag, `${e.option} ${e.rule}`, context);
    throw new ConfigurationError(flag, `is not a valid URI (${(e as Error).message})`, context);
  }
}

/** Which backend, where: `Agent Memory Server at http://…`. */
function backendAt(config: RedisSessionMemoryServiceConfig): string {
  return `${BACKEND_NAMES[config.backend ?? 'redis-agent-memory']} at ${config.apiBaseUrl}`;
}

/** What the probe says when the backend does not answer as it should. */
function unreachable(config: RedisSessionMemoryServiceConfig, e: unknown): string {
  const where = backendAt(config);
  if (e instanceof AgentMemoryError && e.status !== undefined) {
    const status = ` (HTTP ${e.status})`;
    if (e.status === 401 || e.status === 403) return `${where} refused the API key${status}: set AGENT_MEMORY_API_KEY`;
    if (e.status === 404 && config.backend === 'redis-agent-memory') return `${where} has no store "${config.storeId}"${status}`;
    return `${where} did not answer as expected: ${e.message}`;
  }
  return `${where} did not answer (${e instanceof Error ? e.message : String(e)})`;
}

/**
 * Asks the backend once, without retries: Agent Memory Server lists one session (which the API
 * key must allow), Redis Agent Memory reports the store's health (which needs the key and the
 * store). Both are reads: nothing is written by starting a command.
 */
async function probe(config: RedisSessionMemoryServiceConfig, flag: Flag, context: string): Promise<void> {
  let backend;
  try {
    ({ backend } = resolveConnection(z.strictObject(connectionOptions), { ...config, maxRetries: 0, timeout: 10 }, context));
  } catch (e) {
    if (!(e instanceof ConfigurationError)) throw e;
    const rule =
      e.option === 'storeId'
        ? 'names no store: add ?store=<id> or set AGENT_MEMORY_STORE_ID'
        : e.option === 'apiKey'
          ? 'needs an API key: set AGENT_MEMORY_API_KEY'
          : `${e.option} ${e.rule}`;
    throw new ConfigurationError(flag, rule, context);
  }
  try {
    if (backend.kind === 'opensource-agent-memory') await backend.client.listSessions({ limit: 1 });
    else await backend.client.storeHealth();
  } catch (e) {
    throw new ConfigurationError(flag, unreachable(config, e), context);
  }
}

/** Where a dev command keeps what it keeps on a backend, for its start-up line. */
function describe(config: RedisSessionMemoryServiceConfig): string {
  const store = config.backend === 'redis-agent-memory' && config.storeId ? `, store ${config.storeId}` : '';
  return `${backendAt(config)}${store}`;
}

/** The session, memory and artifact services a dev command's flags name, each backend checked. */
export async function devServices(cmd: DevCommand, env: NodeJS.ProcessEnv = process.env): Promise<DevServices> {
  const context = `adk-redis ${cmd.command}`;
  const sessionUri = cmd.sessionServiceUri ?? env.DATABASE_URL ?? 'memory://';
  const sessionBackend = backendOf(sessionUri, '--session_service_uri', context, env);
  const memoryBackend = cmd.memoryServiceUri === undefined ? sessionBackend : backendOf(cmd.memoryServiceUri, '--memory_service_uri', context, env);
  if (cmd.memoryServiceUri !== undefined && !memoryBackend && cmd.memoryServiceUri !== 'memory://') {
    throw new ConfigurationError(
      '--memory_service_uri',
      'must be agent-memory-server+http(s)://…, redis-agent-memory+http(s)://…?store=<id> or memory:// (ADK JS has no other memory services)',
      context,
    );
  }

  let sessionService: BaseSessionService;
  if (sessionBackend) {
    await probe(sessionBackend, '--session_service_uri', context);
    sessionService = new RedisSessionMemoryService(sessionBackend);
  } else {
    try {
      sessionService = getSessionServiceFromUri(sessionUri);
    } catch (e) {
      throw new ConfigurationError(
        '--session_service_uri',
        `${(e as Error).message} (this package's URIs start agent-memory-server+ or redis-agent-memory+)`,
        context,
      );
    }
  }
  let memoryService: BaseMemoryService = new InMemoryMemoryService();
  if (memoryBackend) {
    // The same connection as the sessions' was checked above; another one is checked now.
    if (JSON.stringify(memoryBackend) !== JSON.stringify(sessionBackend)) await probe(memoryBackend, '--memory_service_uri', context);
    memoryService = new RedisLongTermMemoryService(memoryBackend);
  }
  let artifactService: BaseArtifactService;
  try {
    artifactService = getArtifactServiceFromUri(cmd.artifactServiceUri ?? 'memory://');
  } catch (e) {
    throw new ConfigurationError('--artifact_service_uri', (e as Error).message, context);
  }
  return {
    sessionService,
    memoryService,
    artifactService,
    where: {
      sessions: sessionBackend ? describe(sessionBackend) : sessionUri.replace(/\/\/[^@/]*@/, '//…@'),
      memory: memoryBackend ? describe(memoryBackend) : 'in memory (ADK InMemoryMemoryService: gone when the command stops)',
    },
  };
}
