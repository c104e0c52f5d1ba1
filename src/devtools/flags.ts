// The arguments of `adk-redis web | api_server | run`: the flags of `adk`'s commands of those names
// (@google/adk-devtools 2.x), spelled the same, plus --memory_service_uri. Parsed here, with a
// clear error naming the flag, so nothing starts on an argument adk would have read differently.

/** The dev commands: `web` (API server and dev UI), `api_server` (API server), `run` (terminal runner). */
export type DevCommandName = 'web' | 'api_server' | 'run';
export const DEV_COMMANDS: readonly DevCommandName[] = ['web', 'api_server', 'run'];

/** ADK's log levels, as `--log_level` takes them (`-v` is `debug`). */
export type DevLogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly DevLogLevel[] = ['debug', 'info', 'warn', 'error'];

const FILE_TYPES = ['cjs', 'esm'] as const;

/** What every dev command takes. */
export interface DevCommonOptions {
  /** `--log_level` (default `info`; `-v`/`--verbose`: `debug`). */
  logLevel: DevLogLevel;
  /**
   * `--session_service_uri`: this package's URIs (`agent-memory-server+http://…`,
   * `redis-agent-memory+https://…?store=<id>`) or ADK's (`sqlite://…`, `postgresql://…`,
   * `mysql://…`, `memory://`). Unset: `DATABASE_URL`, else `memory://`, as `adk`.
   */
  sessionServiceUri?: string;
  /**
   * `--memory_service_uri`: this package's URIs or `memory://`. Unset: the session URI's backend
   * when it is one of this package's, else ADK's `InMemoryMemoryService`.
   */
  memoryServiceUri?: string;
  /** `--artifact_service_uri`: ADK's artifact URIs (`gs://<bucket>`, `memory://`); default `memory://`. */
  artifactServiceUri?: string;
  /** `--otel_to_cloud`: send ADK's traces to Google Cloud (default false). */
  otelToCloud: boolean;
  /** How adk compiles the agent files with esbuild: `--compile`, `--bundle` (both default true) and `--file_type`. */
  agentFileLoadOptions: { compile: boolean; bundle: boolean; moduleType?: 'cjs' | 'esm' };
  /** `--reload_agents`: reload an agent when its file changes (default false). */
  reloadAgents: boolean;
}

/** `web` (the API server with ADK's dev UI) and `api_server` (without the UI). */
export interface DevServeCommand extends DevCommonOptions {
  /** Which of the two. */
  command: 'web' | 'api_server';
  /** `[agents_dir]`: `agents_dir/<name>/agent.ts|js` (or `<name>.ts|js`) exporting `rootAgent`; default the working directory. */
  agentsDir: string;
  /** `-h`/`--host` (default `localhost`). */
  host: string;
  /** `-p`/`--port` (default 8000; 0 picks a free one). */
  port: number;
  /** `--allow_origins`: CORS origins, comma-separated (default none). */
  allowOrigins: string;
  /** `--a2a`: also serve the agents over A2A (default false). */
  a2a: boolean;
  /** `--a2a_auth_token`: the bearer token A2A callers must send (else `ADK_A2A_AUTH_TOKEN`). */
  a2aAuthToken?: string;
}

/** `run <agent>`: ADK's terminal runner (as user `test_user`, as `adk run`). */
export interface DevRunCommand extends DevCommonOptions {
  /** Always `run`. */
  command: 'run';
  /** `<agent>`: the agent file (.ts or .js) exporting `rootAgent`. */
  agentPath: string;
  /** `--save_session`: write the session to `<session id>.session.json` beside the agent on exit. */
  saveSession: boolean;
  /** `--session_id`: the id to save under with `--save_session` (else asked). */
  sessionId?: string;
  /** `--replay <file>`: `{ state, queries }`; a new session with that state answers each query, then the command ends. */
  replay?: string;
  /** `--resume <file>`: a session saved by `--save_session`, replayed into a new session; then interactive. */
  resume?: string;
}

/** A parsed dev command line. */
export type DevCommand = DevServeCommand | DevRunCommand;

/** A command line that cannot be run as given; the message names the flag and the rule. */
export class DevUsageError extends Error {
  override name = 'DevUsageError';
}

type Kind = 'string' | 'flag' | 'optional-boolean';
interface FlagSpec {
  kind: Kind;
  short?: string;
  commands: readonly DevCommandName[];
}

const SERVE = ['web', 'api_server'] as const;
const ALL = DEV_COMMANDS;

/** adk's flags, by name; `[boolean]` ones take an optional true/false/1/0 as adk does. */
const FLAGS: Record<string, FlagSpec> = {
  host: { kind: 'string', short: 'h', commands: SERVE },
  port: { kind: 'string', short: 'p', commands: SERVE },
  allow_origins: { kind: 'string', commands: SERVE },
  a2a: { kind: 'optional-boolean', commands: SERVE },
  a2a_auth_token: { kind: 'string', commands: SERVE },
  save_session: { kind: 'optional-boolean', commands: ['run'] },
  session_id: { kind: 'string', commands: ['run'] },
  replay: { kind: 'string', commands: ['run'] },
  resume: { kind: 'string', commands: ['run'] },
  verbose: { kind: 'flag', short: 'v', commands: ALL },
  log_level: { kind: 'string', commands: ALL },
  session_service_uri: { kind: 'string', commands: ALL },
  memory_service_uri: { kind: 'string', commands: ALL },
  artifact_service_uri: { kind: 'string', commands: ALL },
  otel_to_cloud: { kind: 'optional-boolean', commands: ALL },
  compile: { kind: 'optional-boolean', commands: ALL },
  bundle: { kind: 'optional-boolean', commands: ALL },
  file_type: { kind: 'string', commands: ALL },
  reload_agents: { kind: 'optional-boolean', commands: ALL },
  help: { kind: 'flag', commands: ALL },
};

const BOOLEAN_WORDS: Record<string, boolean> = { true: true, '1': true, false: false, '0': false };

function flagOf(token: string, command: DevCommandName): { name: string; inline?: string } {
  let name: string;
  let inline: string | undefined;
  if (token.startsWith('--')) {
    const eq = token.indexOf('=');
    name = eq < 0 ? token.slice(2) : token.slice(2, eq);
    if (eq >= 0) inline = token.slice(eq + 1);
  } else {
    const short = token.slice(1, 2);
    const found = Object.entries(FLAGS).find(([, s]) => s.short === short && s.commands.includes(command));
    if (!found || token.length > 2) throw new DevUsageError(`${token} is not an option of adk-redis ${command}`);
    name = found[0];
  }
  const spec = FLAGS[name];
  if (!spec || !spec.commands.includes(command)) throw new DevUsageError(`--${name} is not an option of adk-redis ${command}`);
  return inline === undefined ? { name } : { name, inline };
}

/** Reads `argv` (after the command name) into flag values and positionals. */
function tokens(command: DevCommandName, argv: readonly string[]): { values: Map<string, string | boolean>; positionals: string[] } {
  const values = new Map<string, string | boolean>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith('-') || token === '-') {
      positionals.push(token);
      continue;
    }
    const { name, inline } = flagOf(token, command);
    const spec = FLAGS[name]!;
    if (spec.kind === 'flag') {
      if (inline !== undefined) throw new DevUsageError(`--${name} takes no value`);
      values.set(name, true);
    } else if (spec.kind === 'optional-boolean') {
      // Only a boolean word is taken as the value, so `--a2a agents/` keeps agents/ as the folder.
      const next = argv[i + 1];
      const word = inline ?? (next !== undefined && next in BOOLEAN_WORDS ? argv[++i] : undefined);
      if (word === undefined) values.set(name, true);
      else if (word in BOOLEAN_WORDS) values.set(name, BOOLEAN_WORDS[word]!);
      else throw new DevUsageError(`--${name} must be true, false, 1 or 0 (got "${word}")`);
    } else {
      const value = inline ?? argv[++i];
      if (value === undefined || (inline === undefined && value.startsWith('-') && value.length > 1 && !/^-\d/.test(value))) {
        throw new DevUsageError(`--${name} needs a value`);
      }
      values.set(name, value);
    }
  }
  return { values, positionals };
}

function stringOf(values: Map<string, string | boolean>, name: string): string | undefined {
  const v = values.get(name);
  return typeof v === 'string' ? v : undefined;
}

function nonEmpty(values: Map<string, string | boolean>, name: string): string | undefined {
  const v = stringOf(values, name);
  if (v !== undefined && !v.trim()) throw new DevUsageError(`--${name} must not be empty`);
  return v;
}

function booleanOf(values: Map<string, string | boolean>, name: string, fallback: boolean): boolean {
  const v = values.get(name);
  return typeof v === 'boolean' ? v : fallback;
}

function oneOf<T extends string>(values: Map<string, string | boolean>, name: string, allowed: readonly T[]): T | undefined {
  const v = stringOf(values, name);
  if (v === undefined) return undefined;
  const lower = v.toLowerCase() as T;
  if (!allowed.includes(lower)) throw new DevUsageError(`--${name} must be one of ${allowed.join(', ')} (got "${v}")`);
  return lower;
}

function portOf(values: Map<string, string | boolean>): number {
  const v = stringOf(values, 'port') ?? '8000';
  const port = /^\d{1,5}$/.test(v) ? Number(v) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new DevUsageError(`--port must be a whole number from 0 to 65535 (got "${v}")`);
  return port;
}

/** Whether the command line asks for help (`--help`) rather than a run. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help');
}

/**
 * Parses `adk-redis <command> …` (argv starts with the command name). Defaults are `adk`'s:
 * host localhost, port 8000, agents_dir the working directory, log level info, compile and
 * bundle on.
 */
export function parseDevCommand(argv: readonly string[], cwd: string = process.cwd()): DevCommand {
  const command = argv[0] as DevCommandName;
  if (!DEV_COMMANDS.includes(command)) throw new DevUsageError(`unknown command "${argv[0] ?? ''}" (known: ${DEV_COMMANDS.join(', ')})`);
  const { values, positionals } = tokens(command, argv.slice(1));
  const fileType = oneOf(values, 'file_type', FILE_TYPES);
  const sessionServiceUri = nonEmpty(values, 'session_service_uri');
  const memoryServiceUri = nonEmpty(values, 'memory_service_uri');
  const artifactServiceUri = nonEmpty(values, 'artifact_service_uri');
  const common: DevCommonOptions = {
    logLevel: values.get('verbose') ? 'debug' : (oneOf(values, 'log_level', LOG_LEVELS) ?? 'info'),
    ...(sessionServiceUri ? { sessionServiceUri } : {}),
    ...(memoryServiceUri ? { memoryServiceUri } : {}),
    ...(artifactServiceUri ? { artifactServiceUri } : {}),
    otelToCloud: booleanOf(values, 'otel_to_cloud', false),
    agentFileLoadOptions: {
      compile: booleanOf(values, 'compile', true),
      bundle: booleanOf(values, 'bundle', true),
      ...(fileType ? { moduleType: fileType } : {}),
    },
    reloadAgents: booleanOf(values, 'reload_agents', false),
  };
  if (command === 'run') {
    if (positionals.length !== 1) {
      throw new DevUsageError(
        positionals.length ? `run takes one agent file, got ${positionals.length}: ${positionals.join(' ')}` : 'run needs <agent>: the agent file (.js or .ts)',
      );
    }
    const sessionId = nonEmpty(values, 'session_id');
    const replay = nonEmpty(values, 'replay');
    const resume = nonEmpty(values, 'resume');
    if (replay && resume) throw new DevUsageError('--replay and --resume cannot be used together: replay starts a new session, resume continues a saved one');
    return {
      command,
      ...common,
      agentPath: positionals[0]!,
      saveSession: booleanOf(values, 'save_session', false),
      ...(sessionId ? { sessionId } : {}),
      ...(replay ? { replay } : {}),
      ...(resume ? { resume } : {}),
    };
  }
  if (positionals.length > 1)
    throw new DevUsageError(`${command} takes one agents folder (or agent file), got ${positionals.length}: ${positionals.join(' ')}`);
  const a2aAuthToken = nonEmpty(values, 'a2a_auth_token');
  return {
    command,
    ...common,
    agentsDir: positionals[0] ?? cwd,
    host: nonEmpty(values, 'host') ?? 'localhost',
    port: portOf(values),
    allowOrigins: stringOf(values, 'allow_origins') ?? '',
    a2a: booleanOf(values, 'a2a', false),
    ...(a2aAuthToken ? { a2aAuthToken } : {}),
  };
}

export const DEV_USAGE = `usage: adk-redis web        [agents_dir] [options]   ADK's dev web UI and API server
       adk-redis api_server [agents_dir] [options]   ADK's API server
       adk-redis run        <agent> [options]        ADK's terminal runner

  The same commands, arguments and flags as adk's (from @google/adk-devtools, installed beside
  this package), with sessions and memories on Redis:

  --session_service_uri <uri>   where sessions live: this package's URIs (below) or ADK's
                                (sqlite://…, postgresql://…, mysql://…, memory://); default
                                DATABASE_URL, else memory://
  --memory_service_uri <uri>    where memories live: this package's URIs or memory://; default
                                the session URI's backend when it is one of this package's,
                                else memory://

  web and api_server: -h, --host <host> (localhost)  -p, --port <port> (8000)
    --allow_origins <origins>  --a2a [boolean]  --a2a_auth_token <token>
  run: --replay <file>  --resume <file>  --save_session [boolean]  --session_id <id>
  all: -v, --verbose  --log_level debug|info|warn|error  --artifact_service_uri <uri>
    --otel_to_cloud [boolean]  --compile [boolean]  --bundle [boolean]  --file_type cjs|esm
    --reload_agents [boolean]

  The backend is asked once at start: a bad URI, an unreachable backend or a missing store id
  stops the command with one line naming the flag.`;
