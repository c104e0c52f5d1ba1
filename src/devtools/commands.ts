// `adk-redis web | api_server | run`: ADK's own dev server and terminal runner from
// @google/adk-devtools (an optional peer), given this package's session and memory services.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LogLevel, setLogLevel, type BaseArtifactService, type BaseMemoryService, type BaseSessionService } from '@google/adk';
import { ConfigurationError } from '../clients/errors.js';
import type { DevCommand, DevLogLevel, DevRunCommand, DevServeCommand } from './flags.js';
import { devServices, type DevServices } from './services.js';

const DEVTOOLS = '@google/adk-devtools';

/** The part of @google/adk-devtools' AdkApiServer this package drives. */
interface AdkApiServerLike {
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
interface DevtoolsModule {
  AdkApiServer: new (options: {
    agentsDir: string;
    host: string;
    port: number;
    serveDebugUI: boolean;
    allowOrigins: string;
    sessionService: BaseSessionService;
    memoryService: BaseMemoryService;
    artifactService: BaseArtifactService;
    otelToCloud: boolean;
    agentFileLoadOptions: DevCommand['agentFileLoadOptions'];
    a2a: boolean;
    a2aAuthToken?: string;
    reloadAgents: boolean;
    logLevel: LogLevel;
  }) => AdkApiServerLike;
}
interface DevtoolsRunModule {
  runAgent(options: {
    agentPath: string;
    inputFile?: string;
    savedSessionFile?: string;
    saveSession: boolean;
    sessionId?: string;
    sessionService: BaseSessionService;
    memoryService: BaseMemoryService;
    artifactService: BaseArtifactService;
    otelToCloud: boolean;
    agentFileLoadOptions: DevCommand['agentFileLoadOptions'];
    reloadAgents: boolean;
  }): Promise<void>;
}

/** @google/adk-devtools is not installed where the command runs. */
export class DevtoolsMissingError extends Error {
  override name = 'DevtoolsMissingError';
  constructor(command: string) {
    super(`adk-redis ${command} runs ADK's own dev tools: install them beside this package with \`npm install --save-dev ${DEVTOOLS}\``);
  }
}

function isNotFound(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/** Resolved from the user's project first (where `npx adk-redis` runs), then beside this package. */
function devtoolsEntry(command: string): string {
  for (const from of [path.join(process.cwd(), 'noop.js'), fileURLToPath(import.meta.url)]) {
    try {
      return createRequire(from).resolve(DEVTOOLS);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  throw new DevtoolsMissingError(command);
}

async function loadDevtools(command: string): Promise<DevtoolsModule> {
  // The ESM build, whatever condition require resolved: the agents it loads share our @google/adk.
  const esm = path.join(path.dirname(devtoolsEntry(command)), '..', 'esm', 'index.js');
  return (await import(pathToFileURL(esm).href)) as DevtoolsModule;
}

/**
 * adk's terminal runner is not in the package's exports, so it is loaded from the file adk's own
 * `adk run` uses; a release that moves it gets a clear error rather than a different runner.
 */
async function loadRunner(command: string): Promise<DevtoolsRunModule> {
  const file = path.join(path.dirname(devtoolsEntry(command)), '..', 'esm', 'cli', 'cli_run.js');
  if (!existsSync(file)) throw new Error(`adk-redis ${command}: ${DEVTOOLS} has no terminal runner at ${file}; this command supports ${DEVTOOLS} 2.x`);
  return (await import(pathToFileURL(file).href)) as DevtoolsRunModule;
}

const LEVELS: Record<DevLogLevel, LogLevel> = { debug: LogLevel.DEBUG, info: LogLevel.INFO, warn: LogLevel.WARN, error: LogLevel.ERROR };

/** adk reads a `.env` in the working directory (API keys for the model); so does this command. */
function loadDotEnv(): void {
  const file = path.join(process.cwd(), '.env');
  if (existsSync(file) && typeof process.loadEnvFile === 'function') process.loadEnvFile(file);
}

/** A `web` or `api_server` command, listening. */
export interface RunningDevServer {
  /** Where it listens, e.g. `http://localhost:8000` (the dev UI at `/dev-ui/`). */
  readonly url: string;
  /** Where sessions and memories live. */
  readonly where: DevServices['where'];
  /** Stops listening. */
  stop(): Promise<void>;
}

function absolute(p: string): string {
  return path.resolve(process.cwd(), p);
}

/** Starts `web` or `api_server`; resolves once it listens. */
export async function startDevServer(cmd: DevServeCommand, env: NodeJS.ProcessEnv = process.env): Promise<RunningDevServer> {
  const devtools = await loadDevtools(cmd.command);
  const services = await devServices(cmd, env);
  setLogLevel(LEVELS[cmd.logLevel]);
  const server = new devtools.AdkApiServer({
    agentsDir: absolute(cmd.agentsDir),
    host: cmd.host,
    port: cmd.port,
    serveDebugUI: cmd.command === 'web',
    allowOrigins: cmd.allowOrigins,
    sessionService: services.sessionService,
    memoryService: services.memoryService,
    artifactService: services.artifactService,
    otelToCloud: cmd.otelToCloud,
    agentFileLoadOptions: cmd.agentFileLoadOptions,
    a2a: cmd.a2a,
    ...(cmd.a2aAuthToken ? { a2aAuthToken: cmd.a2aAuthToken } : {}),
    reloadAgents: cmd.reloadAgents,
    logLevel: LEVELS[cmd.logLevel],
  });
  await server.start();
  return { url: server.url, where: services.where, stop: () => server.stop() };
}

/** Runs `run <agent>` to its end (the user types exit, or the replay file's queries are done). */
export async function runDevAgent(
  cmd: DevRunCommand,
  { env = process.env, onReady }: { env?: NodeJS.ProcessEnv; onReady?: (where: DevServices['where']) => void } = {},
): Promise<void> {
  const runner = await loadRunner(cmd.command);
  const services = await devServices(cmd, env);
  onReady?.(services.where);
  setLogLevel(LEVELS[cmd.logLevel]);
  await runner.runAgent({
    agentPath: absolute(cmd.agentPath),
    ...(cmd.replay ? { inputFile: absolute(cmd.replay) } : {}),
    ...(cmd.resume ? { savedSessionFile: absolute(cmd.resume) } : {}),
    saveSession: cmd.saveSession,
    ...(cmd.sessionId ? { sessionId: cmd.sessionId } : {}),
    sessionService: services.sessionService,
    memoryService: services.memoryService,
    artifactService: services.artifactService,
    otelToCloud: cmd.otelToCloud,
    agentFileLoadOptions: cmd.agentFileLoadOptions,
    reloadAgents: cmd.reloadAgents,
  });
}

function startLine(cmd: DevCommand, where: DevServices['where']): string {
  return `adk-redis ${cmd.command}: sessions in ${where.sessions}; memories in ${where.memory}\n`;
}

/** The command line's entry: serves until SIGINT/SIGTERM, or runs the agent; the exit code. */
export async function devMain(cmd: DevCommand): Promise<number> {
  loadDotEnv();
  if (cmd.command === 'run') {
    if (!existsSync(absolute(cmd.agentPath))) throw new ConfigurationError('<agent>', `no such file: ${cmd.agentPath}`, 'adk-redis run');
    await runDevAgent(cmd, { onReady: (where) => process.stderr.write(startLine(cmd, where)) });
    return 0;
  }
  if (!existsSync(absolute(cmd.agentsDir)))
    throw new ConfigurationError('[agents_dir]', `no such folder or file: ${cmd.agentsDir}`, `adk-redis ${cmd.command}`);
  const server = await startDevServer(cmd);
  process.stderr.write(startLine(cmd, server.where));
  // Stops cleanly on the first SIGINT or SIGTERM. The handlers stay while it stops: a launcher
  // (tsx, a shell) may pass the same Ctrl+C on again, which must not kill the stop half done.
  await new Promise<void>((resolve) => {
    process.on('SIGINT', () => resolve());
    process.on('SIGTERM', () => resolve());
  });
  await server.stop();
  return 0;
}
