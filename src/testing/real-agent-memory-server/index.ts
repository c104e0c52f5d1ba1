/**
 * The real Agent Memory Server v0.15.2 on loopback, for tests and local runs: Redis Stack with
 * only the modules the server needs (RediSearch, RedisJSON), the stand-in model it calls for
 * embeddings and completions, the API server, the process that runs its background tasks, and
 * optionally its MCP server. `startRealAgentMemoryServer` answers with the same `ReferenceServer`
 * interface as `startReferenceServer`, so a test can run against either.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFaultController, type FaultController } from '../faults.js';
import { startStandInModel, type StandInModel } from '../stand-in-model/server.js';
import { ensureLocalEmbeddingsInstalled, LOCAL_EMBEDDING_MODEL, startLocalEmbeddings } from '../local-embeddings/index.js';
import type { ReferenceServer, RunBackgroundTasksOptions } from '../index.js';
import { controllerOf, type Controller, type TaskCounts } from './controller.js';
import { ensureRealServerInstalled, RealServerUnavailableError, type AmsVersion, type RealServerInstall } from './install.js';
import { startBalancer, type Balancer } from './balancer.js';
import { ChildFailedError, freePort, portInUse, startChild, startWatchdog, waitUntil, type Child } from './processes.js';

export type { TaskCounts } from './controller.js';
export {
  AMS_VERSIONS,
  RealServerUnavailableError,
  ensureRealServerInstalled,
  type AmsVersion,
  type RealServerInstall,
  type UnavailableReason,
} from './install.js';

/** Options of startRealAgentMemoryServer. */
export interface RealAgentMemoryServerOptions {
  /**
   * `'auto'` (default): a worker runs the server's background tasks as they come due, as
   * `agent-memory task-worker` does. `'manual'`: they run only inside `runBackgroundTasks()`.
   */
  backgroundTasks?: 'auto' | 'manual';
  /** Turns on the server's token auth (`AUTH_MODE=token`) with this token registered. */
  apiKey?: string;
  /**
   * Not honoured: v0.15.2 has no setting for its default context window (16 000 tokens); pass
   * `contextWindowMax` to the session service, which sends it with every request. Setting it throws.
   */
  contextWindowMax?: number;
  /** The API's port (the first API process's, with several); 0 (default) picks a free one. */
  port?: number;
  /**
   * API processes (default 1), each on a port of its own (`urls`); with more than one, `url` is a
   * loopback balancer that sends each request to the next process in turn, as a deployment's
   * load balancer does.
   */
  apiProcesses?: number;
  /**
   * The server's own task workers (`agent-memory task-worker`, default 1) in auto mode; none run in
   * manual mode (`runBackgroundTasks()` runs the work).
   */
  taskWorkers?: number;
  /**
   * How long a task a worker took stays its own before another worker may run it
   * (`agent-memory task-worker --redelivery-timeout`; the server's default is at least 60 s): what
   * a crashed worker's task waits before it runs again.
   */
  redeliveryTimeoutSeconds?: number;
  /** Redis persistence: `'none'` (default) or `'aof'` (an append-only file, `appendfsync always`): what survives `restart('redis')`. */
  redisPersistence?: 'none' | 'aof';
  /** Also start the server's MCP server (streamable HTTP), at `mcpUrl`. */
  mcp?: boolean;
  /**
   * The server's extraction debounce (`EXTRACTION_DEBOUNCE_SECONDS`, 30 s on the server): default
   * 1 s in auto mode; an hour in manual mode, whose `runBackgroundTasks()` brings queued work
   * forward and then ends the debounce, so nothing expires while a test holds the work.
   */
  extractionDebounceSeconds?: number;
  /**
   * The server's embedding model. `'hashed'` (default): the stand-in's hashed bag-of-words vectors
   * (1536 dimensions), instant and enough to find a record by its words. `'local'`: the real
   * all-MiniLM-L6-v2 (384 dimensions) from a pinned wheel, computed on loopback (about 10 ms per
   * short text on one core), for searches judged by meaning, such as the recall benchmark.
   */
  embeddings?: 'hashed' | 'local';
  /** More server settings, as environment variables (e.g. `{ ENABLE_TOPIC_EXTRACTION: 'false' }`). */
  settings?: Record<string, string>;
  /** Where the Python environment and Redis Stack are installed (default `.cache/` of this package, or ADK_REDIS_CACHE_DIR). */
  cacheDir?: string;
  /** The Agent Memory Server release: `'0.15.2'` (default) or `'0.14.0'`; default ADK_REDIS_AMS_VERSION when set. */
  version?: AmsVersion;
  /** Receives a line per installation step. */
  log?: (line: string) => void;
}

/** What the real server runs: its release, Redis and module versions, and how it counts tokens. */
export interface RealServerVersions {
  agentMemoryServer: string;
  redis: string;
  /** RediSearch and RedisJSON as `MODULE LIST` reports them. */
  modules: Record<string, string>;
  redisStackBuild: string;
  /** Whether the server counts tokens with tiktoken's cl100k_base (else its 4-characters estimate). */
  tiktoken: boolean;
  /** The embedding model: `'all-MiniLM-L6-v2'` (`embeddings: 'local'`) or `'hashed'` (the stand-in's word vectors). */
  embeddings: string;
}

/** A process the harness started again after it ended on its own: which, and how it ended. */
export interface SupervisorRestart {
  part: 'api' | 'task-worker';
  index: number;
  exit: string;
}

/** A part of a deployment that `kill` and `restart` act on. */
export type ServerPart = 'api' | 'task-worker' | 'redis';

/** The real Agent Memory Server as startRealAgentMemoryServer runs it: a ReferenceServer, plus its processes. */
export interface RealAgentMemoryServer extends ReferenceServer {
  backend: 'opensource-agent-memory';
  /** Every API process's own URL (`url` balances across them when there are several). */
  urls: string[];
  /**
   * SIGKILLs a part: an API process (`index`, default 0), a task worker (`index`, default 0), or
   * Redis. It stays down until `restart`; a killed API process is passed over by the balancer.
   */
  kill(part: ServerPart, options?: { index?: number }): Promise<void>;
  /**
   * SIGKILLs a part (if it runs) and starts it again on the same port, resolving once it is ready:
   * an API process answers `/v1/health`, a task worker has sent Docket its heartbeat, Redis
   * accepts connections (with `redisPersistence: 'aof'` it has loaded its append-only file).
   */
  restart(part: ServerPart, options?: { index?: number }): Promise<void>;
  /**
   * The API processes and task workers that ended on their own (not by `kill`, `restart` or
   * `close`) and were started again, as a deployment's supervisor does; at most
   * 5 times each. The server's task workers can end when Redis restarts.
   */
  supervisorRestarts(): SupervisorRestart[];
  /** Process ids of each part as they are now (a restarted part has a new one). */
  parts(): { api: number[]; taskWorkers: number[]; redis: number; harness: number };
  /** The MCP server's base URL (`{mcpUrl}/mcp`, `{mcpUrl}/{namespace}/mcp`), when started with `mcp: true`. */
  mcpUrl?: string;
  /** The Redis the server uses. */
  redisUrl: string;
  /** The stand-in model: how many requests of each kind it answered. */
  model: StandInModel;
  versions: RealServerVersions;
  /**
   * Process ids when it started: the (first) API server, the process that runs or watches the
   * background tasks, Redis, the MCP server. `parts()` has every process as it is now.
   */
  pids: { api: number; worker: number; redis: number; mcp?: number };
  /** Runs `redis-cli` against the server's Redis and returns what it printed. */
  redisCli(...args: string[]): Promise<string>;
  /** The server's background tasks (its Docket queue) waiting and running, counted by task name. */
  backgroundTaskCounts(): Promise<TaskCounts>;
  /** The tail of each process's output, for diagnosing a failure. */
  output(): Record<string, string>;
}

const STARTUP_MS = 120_000;
const MAX_SUPERVISOR_RESTARTS = 5;

function cli(install: RealServerInstall, port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(install.redis.cli, ['-h', '127.0.0.1', '-p', String(port), ...args], (e, stdout, stderr) =>
      e ? reject(new Error(`redis-cli ${args.join(' ')}: ${stderr || e.message}`)) : resolve(String(stdout)),
    ),
  );
}

/** Starts redis-server on `port` (0: a free one), in `runDir`, with the persistence asked for. */
async function startRedis(
  install: RealServerInstall,
  runDir: string,
  persistence: 'none' | 'aof',
  watchdog: { add(pid: number): void },
  port = 0,
): Promise<{ child: Child; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const chosen = port || (await freePort());
    const child = startChild(
      'redis-server',
      install.redis.server,
      [
        '--port',
        String(chosen),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        ...(persistence === 'aof' ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
        '--dir',
        runDir,
        '--loadmodule',
        install.redis.search,
        '--loadmodule',
        install.redis.json,
      ],
      {
        logFile: path.join(runDir, 'redis.log'),
      },
    );
    watchdog.add(child.pid);
    try {
      // Printed once the data set (the append-only file, when there is one) is loaded.
      await waitUntil(child, 'accept connections', () => child.output().includes('Ready to accept connections'), 60_000);
      return { child, port: chosen };
    } catch (e) {
      await child.stop();
      const failure = redisStartFailure(child.output());
      // Another process took the free port between asking for it and binding it: try another.
      if (failure?.reason === 'port-in-use' && attempt < 3 && !port) continue;
      throw failure ?? e;
    }
  }
}

/** Why redis-server did not start, from what it printed: a module it could not load, or its port. */
export function redisStartFailure(output: string): RealServerUnavailableError | undefined {
  const moduleError = /(Module \S+ failed to load|Can't load module|Error loading the extension)[^\n]*/.exec(output);
  if (moduleError) return new RealServerUnavailableError('redis-module', `Redis could not load a module: ${moduleError[0].trim()}`);
  const port = /(\d+).*Address already in use|Address already in use/.exec(output);
  if (port) return new RealServerUnavailableError('port-in-use', `Redis could not listen: ${port[0].trim()}`);
  return undefined;
}

/** Starts the real server (installing it first if needed) and resolves once every process is ready. */
export async function startRealAgentMemoryServer(options: RealAgentMemoryServerOptions = {}): Promise<RealAgentMemoryServer> {
  const given: unknown = options.backgroundTasks ?? 'auto';
  const mode = given === 'auto' || given === 'manual' ? given : undefined;
  if (mode === undefined) throw new TypeError(`startRealAgentMemoryServer: backgroundTasks must be "auto" or "manual", got ${JSON.stringify(given)}`);
  if (options.contextWindowMax !== undefined) {
    throw new TypeError(
      'startRealAgentMemoryServer: contextWindowMax cannot be honoured: Agent Memory Server v0.15.2 has no setting for its default context window (16 000 tokens); pass contextWindowMax to RedisSessionMemoryService, which sends it with every request',
    );
  }
  if (options.port !== undefined && options.port !== 0 && (await portInUse(options.port))) {
    throw new RealServerUnavailableError('port-in-use', `port ${options.port} is in use: stop what listens there or choose another port`);
  }
  const install = await ensureRealServerInstalled({
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
    ...(options.version ? { version: options.version } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const apiCount = count(options.apiProcesses, 'apiProcesses', 1);
  const workerCount = count(options.taskWorkers, 'taskWorkers', mode === 'auto' ? 1 : 0);
  if (mode === 'manual' && workerCount > 0) {
    throw new TypeError('startRealAgentMemoryServer: taskWorkers must be 0 in manual mode: runBackgroundTasks() runs the work');
  }
  const givenPersistence: unknown = options.redisPersistence ?? 'none';
  if (givenPersistence !== 'none' && givenPersistence !== 'aof') {
    throw new TypeError(`startRealAgentMemoryServer: redisPersistence must be "none" or "aof", got ${JSON.stringify(givenPersistence)}`);
  }
  const persistence = givenPersistence;
  const givenEmbeddings: unknown = options.embeddings ?? 'hashed';
  if (givenEmbeddings !== 'hashed' && givenEmbeddings !== 'local') {
    throw new TypeError(`startRealAgentMemoryServer: embeddings must be "hashed" or "local", got ${JSON.stringify(givenEmbeddings)}`);
  }
  const embeddings = givenEmbeddings;
  const runDir = mkdtempSync(path.join(tmpdir(), 'adk-redis-ams-'));
  const watchdog = startWatchdog(path.join(runDir, 'pids'), runDir);
  const children = new Set<Child>();
  let model: StandInModel | undefined;
  let balancer: Balancer | undefined;
  let closing = false;
  const closeAll = async () => {
    closing = true;
    await balancer?.close();
    await Promise.all([...children].map((c) => c.stop()));
    await model?.close();
    watchdog.close();
    rmSync(runDir, { recursive: true, force: true });
  };
  const track = (child: Child) => {
    children.add(child);
    watchdog.add(child.pid);
    void child.exited.then(() => children.delete(child));
    return child;
  };
  try {
    let embeddingsUrl: string | undefined;
    if (embeddings === 'local') {
      const installed = await ensureLocalEmbeddingsInstalled({
        harnessDir: install.harnessDir,
        python: install.python,
        ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
        ...(options.log ? { log: options.log } : {}),
      });
      const local = await startLocalEmbeddings(installed, { python: install.python, cwd: runDir, logFile: path.join(runDir, 'local-embeddings.log') });
      track(local.child);
      embeddingsUrl = local.url;
    }
    model = await startStandInModel(embeddingsUrl ? { embeddingsUrl } : {});
    const redis = await startRedis(install, runDir, persistence, watchdog);
    let redisChild = track(redis.child);
    const redisUrl = `redis://127.0.0.1:${redis.port}`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LANG: process.env.LANG ?? 'C.UTF-8',
      PYTHONUNBUFFERED: '1',
      REDIS_URL: redisUrl,
      OPENAI_API_KEY: 'stand-in-model',
      OPENAI_API_BASE: model.url,
      // LiteLLM would fetch its price map from the internet at import.
      LITELLM_LOCAL_MODEL_COST_MAP: 'True',
      // The cl100k_base encoding LiteLLM ships, instead of tiktoken's download (no network here).
      TIKTOKEN_CACHE_DIR: install.tiktokenDir,
      HF_HUB_OFFLINE: '1',
      TRANSFORMERS_OFFLINE: '1',
      ENABLE_NER: 'false',
      // Manual mode holds queued work for as long as a test likes: nothing the server keeps for it may expire.
      EXTRACTION_DEBOUNCE_SECONDS: String(options.extractionDebounceSeconds ?? (mode === 'manual' ? 3600 : 1)),
      MCP_HOST: '127.0.0.1',
      ...(options.apiKey ? { DISABLE_AUTH: 'false', AUTH_MODE: 'token' } : {}),
      // LiteLLM sends an `openai/` model to OPENAI_API_BASE; the size is not in the server's table.
      ...(embeddings === 'local'
        ? { EMBEDDING_MODEL: `openai/${LOCAL_EMBEDDING_MODEL.name}`, REDISVL_VECTOR_DIMENSIONS: String(LOCAL_EMBEDDING_MODEL.dimensions) }
        : {}),
      ...options.settings,
    };
    const spawnPython = (name: string, command: string, args: string[], extra: object = {}) =>
      track(startChild(name, command, args, { env, cwd: runDir, logFile: path.join(runDir, `${name}.log`), ...extra }));

    // The server's app as `agent-memory api --task-backend docket` serves it, with a count of requests in flight.
    const startApi = async (i: number, port: number) => {
      const child = spawnPython(i ? `agent-memory-api-${i + 1}` : 'agent-memory-api', install.python, [
        path.join(install.harnessDir, 'api.py'),
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
      ]);
      const own = `http://127.0.0.1:${port}`;
      await waitUntil(
        child,
        'answer /v1/health',
        () =>
          fetch(`${own}/v1/health`).then(
            (r) => r.ok,
            () => false,
          ),
        STARTUP_MS,
      );
      return child;
    };
    const apiPorts: number[] = [];
    /** A free port no other API process of this server has. */
    const newApiPort = async () => {
      for (;;) {
        const port = await freePort();
        if (!apiPorts.includes(port)) return port;
      }
    };
    apiPorts.push(options.port || (await newApiPort()));
    while (apiPorts.length < apiCount) apiPorts.push(await newApiPort());
    const urls = apiPorts.map((p) => `http://127.0.0.1:${p}`);
    // Manual mode: this process runs the work when asked. Auto mode: it only watches the queue.
    const harness = spawnPython('background-worker', install.python, [path.join(install.harnessDir, 'harness.py'), '--mode', mode], {
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    const controller: Controller = controllerOf(harness);
    const workerPids = async () => new Set(((await controller.send('workers')) as { workers: string[] }).workers.map(Number));
    // While Redis loads its data after a restart it answers LOADING: a worker the supervisor starts
    // then is not yet known to Docket, which is no failure (left so, the worker would stay down).
    const workerPidsUnlessLoading = async () => {
      try {
        return await workerPids();
      } catch (e) {
        if (e instanceof Error && /BusyLoadingError|\bLOADING\b/.test(e.message)) return undefined;
        throw e;
      }
    };
    const startWorker = async (i: number) => {
      const child = spawnPython(`task-worker-${i + 1}`, install.bin('agent-memory'), [
        'task-worker',
        '--concurrency',
        '10',
        ...(options.redeliveryTimeoutSeconds ? ['--redelivery-timeout', String(options.redeliveryTimeoutSeconds)] : []),
      ]);
      await controller.ready;
      await waitUntil(child, 'send Docket its heartbeat', async () => (await workerPidsUnlessLoading())?.has(child.pid) ?? false, STARTUP_MS);
      return child;
    };
    const mcpPort = options.mcp ? await freePort() : undefined;
    const mcp =
      mcpPort !== undefined
        ? spawnPython('agent-memory-mcp', install.bin('agent-memory'), [
            'mcp',
            '--mode',
            'streamable-http',
            '--port',
            String(mcpPort),
            '--task-backend',
            'docket',
          ])
        : undefined;
    const token = options.apiKey
      ? spawnPython('agent-memory-token', install.bin('agent-memory'), [
          'token',
          'add',
          '--description',
          'adk-redis test harness',
          '--token',
          options.apiKey,
          '--format',
          'json',
        ])
      : undefined;

    // An API process that exits before it answers gets one more start, on a port asked for anew
    // (unless the caller chose it): another process on the machine may have bound the port that
    // freePort saw free, and uvicorn then ends with 3. A second failure is the caller's, with both
    // outputs' tails.
    const startApiRetryingOnce = async (i: number) => {
      try {
        return await startApi(i, apiPorts[i]!);
      } catch (first) {
        if (!(first instanceof ChildFailedError) || first.exitCode === undefined) throw first;
        options.log?.(`${first.message}; starting it again. Its output ended:\n${tail(first.output)}`);
        if (!(i === 0 && options.port)) {
          apiPorts[i] = await newApiPort();
          urls[i] = `http://127.0.0.1:${apiPorts[i]}`;
        }
        try {
          return await startApi(i, apiPorts[i]!);
        } catch (second) {
          if (second instanceof ChildFailedError)
            second.message = `${second.message}, on its second start too (first: ${first.message}). Output ends:\n${tail(second.output)}`;
          throw second;
        }
      }
    };
    const [apis, workers] = await Promise.all([
      Promise.all(apiPorts.map((_, i) => startApiRetryingOnce(i))),
      Promise.all(Array.from({ length: workerCount }, (_, i) => startWorker(i))),
      controller.ready,
      mcp && waitUntil(mcp, 'listen', async () => portInUse(mcpPort!), STARTUP_MS),
      token &&
        token.exited.then((code) => {
          if (code !== '0') throw new ChildFailedError(token, `agent-memory token add exited (${code})`, code);
        }),
    ]);
    if (apiCount > 1) balancer = await startBalancer(() => urls);
    const url = balancer?.url ?? urls[0]!;

    const moduleList = await cli(install, redis.port, ['MODULE', 'LIST']);
    const modules: Record<string, string> = {};
    for (const m of moduleList.matchAll(/^name\n(\S+)\nver\n(\d+)/gm)) modules[m[1]!] = versionOf(Number(m[2]));
    const versions: RealServerVersions = {
      agentMemoryServer: (await fetch(`${url}/openapi.json`).then((r) => r.json() as Promise<{ info: { version: string } }>)).info.version,
      redis: /redis_version:(\S+)/.exec(await cli(install, redis.port, ['INFO', 'server']))?.[1] ?? 'unknown',
      modules,
      redisStackBuild: install.redis.build,
      tiktoken: await countsWithTiktoken(url, options.apiKey),
      embeddings: embeddings === 'local' ? LOCAL_EMBEDDING_MODEL.name : 'hashed',
    };

    const pick = <T>(list: T[], part: ServerPart, index = 0): T => {
      if (!Number.isInteger(index) || index < 0 || index >= list.length) {
        throw new RangeError(`${part}: index must be an integer from 0 to ${list.length - 1}, got ${index}`);
      }
      return list[index]!;
    };
    // As a deployment's supervisor does (`restart: always`): an API process or task worker that
    // ends on its own is started again. The server's task worker can end when Redis drops its
    // connection (a Redis restart), so a deployment without a supervisor can lose its workers then.
    const stoppedOnPurpose = new WeakSet<Child>();
    const supervisorRestarts: SupervisorRestart[] = [];
    const supervise = (part: 'api' | 'task-worker', list: Child[], i: number, start: () => Promise<Child>) => {
      const child = list[i]!;
      void child.exited.then(async (exit) => {
        if (closing || stoppedOnPurpose.has(child) || list[i] !== child) return;
        supervisorRestarts.push({ part, index: i, exit });
        if (supervisorRestarts.filter((r) => r.part === part && r.index === i).length > MAX_SUPERVISOR_RESTARTS) return;
        try {
          list[i] = await start();
          supervise(part, list, i, start);
        } catch {
          // Left down: `output()` and the part's log say why, and the next `restart` tries again.
        }
      });
    };
    apis.forEach((_, i) => supervise('api', apis, i, () => startApi(i, apiPorts[i]!)));
    workers.forEach((_, i) => supervise('task-worker', workers, i, () => startWorker(i)));
    const killChild = async (child: Child) => {
      stoppedOnPurpose.add(child);
      child.proc.kill('SIGKILL');
      await child.exited;
      // What the process left behind in its group (a reloader, a subprocess) goes with it.
      await child.stop();
    };
    const kill = async (part: ServerPart, o: { index?: number } = {}) => {
      const given: unknown = part;
      if (given === 'api') return killChild(pick(apis, part, o.index));
      if (given === 'task-worker') return killChild(pick(workers, part, o.index));
      if (given === 'redis') return killChild(redisChild);
      throw new TypeError(`kill: part must be "api", "task-worker" or "redis", got ${JSON.stringify(given)}`);
    };
    const restart = async (part: ServerPart, o: { index?: number } = {}) => {
      await kill(part, o);
      const i = o.index ?? 0;
      if (part === 'api') {
        apis[i] = await startApi(i, apiPorts[i]!);
        supervise('api', apis, i, () => startApi(i, apiPorts[i]!));
      } else if (part === 'task-worker') {
        workers[i] = await startWorker(i);
        supervise('task-worker', workers, i, () => startWorker(i));
      } else redisChild = track((await startRedis(install, runDir, persistence, watchdog, redis.port)).child);
    };
    const liveUrls = () => urls.filter((_, i) => children.has(apis[i]!));

    const faults: FaultController = createFaultController();
    const refuse = () => {
      throw new TypeError('the real Agent Memory Server takes no injected faults: use startReferenceServer for fault tests');
    };
    return {
      backend: 'opensource-agent-memory',
      url,
      urls,
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
      ...(mcpPort !== undefined ? { mcpUrl: `http://127.0.0.1:${mcpPort}` } : {}),
      redisUrl,
      model,
      versions,
      pids: { api: apis[0]!.pid, worker: harness.pid, redis: redis.child.pid, ...(mcp ? { mcp: mcp.pid } : {}) },
      parts: () => ({ api: apis.map((c) => c.pid), taskWorkers: workers.map((c) => c.pid), redis: redisChild.pid, harness: harness.pid }),
      kill,
      restart,
      supervisorRestarts: () => [...supervisorRestarts],
      faults: { ...faults, add: refuse },
      runBackgroundTasks: (o) => runBackgroundTasks(mode, controller, model!, liveUrls(), o),
      settled: () => apisIdle(liveUrls()),
      redisCli: (...args) => cli(install, redis.port, args),
      backgroundTaskCounts: async () => (await controller.send('tasks')) as unknown as TaskCounts,
      output: () => Object.fromEntries([...children].map((c) => [c.name, c.output()])),
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/**
 * Whether the server counts tokens with tiktoken: `user: hello` eight times is 10 tokens of
 * cl100k_base and 14 by the server's fallback estimate ((53 + 3) // 4), which the usage
 * percentage of a PUT against a 1000-token window tells apart.
 */
async function countsWithTiktoken(url: string, apiKey: string | undefined): Promise<boolean> {
  const probe = `${url}/v1/working-memory/tokenizer-probe?context_window_max=1000`;
  const headers = { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) };
  // Deleted right away: the promotion this PUT queues finds no document, so nothing is extracted.
  const res = await fetch(probe, {
    method: 'PUT',
    headers,
    body: JSON.stringify({
      namespace: 'adk-redis-harness',
      messages: [{ role: 'user', content: Array(8).fill('hello').join(' '), created_at: new Date().toISOString() }],
    }),
  });
  const body = (await res.json()) as { context_percentage_total_used?: number };
  await fetch(`${url}/v1/working-memory/tokenizer-probe?namespace=adk-redis-harness`, { method: 'DELETE', headers });
  return body.context_percentage_total_used === 1;
}

/** A count option: a whole number, at least 0, `fallback` when not given. */
function count(value: number | undefined, name: string, fallback: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 0 || (name === 'apiProcesses' && n < 1)) {
    throw new TypeError(
      `startRealAgentMemoryServer: ${name} must be a whole number${name === 'apiProcesses' ? ' of at least 1' : ''}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** The last lines of a child's output, for an error message. */
function tail(output: string, lines = 12): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n');
}

/** RediSearch and RedisJSON report versions as one number: 21005 is 2.10.5. */
function versionOf(n: number): string {
  return `${Math.floor(n / 10000)}.${Math.floor(n / 100) % 100}.${n % 100}`;
}

/**
 * Runs the server's pending background work and resolves once it is done and the server is idle
 * again: its post-extraction debounce has passed, so the next write schedules extraction anew.
 * `during` runs once every extraction of the run has read its working memory and waits for the
 * model: writes made then are what the server's write-back overwrites.
 */
async function runBackgroundTasks(
  mode: 'auto' | 'manual',
  controller: Controller,
  model: StandInModel,
  urls: string[],
  options: RunBackgroundTasksOptions = {},
): Promise<void> {
  const during = options.during;
  let duringRun: Promise<unknown> | undefined;
  const release = during
    ? model.hold(() => {
        duringRun = allExtractionsAtTheModel(controller, model).then(during);
        void duringRun.finally(() => release());
      })
    : () => undefined;
  try {
    // What the API does after its responses (promotion, which schedules extraction; indexing) first.
    await apisIdle(urls);
    await controller.send(mode === 'manual' ? 'drain' : 'idle');
  } finally {
    release();
  }
  // No work reached the model: `during` still runs, after the work, as on the reference server.
  await (duringRun ?? during?.());
  await apisIdle(urls);
  await controller.send('settle');
}

/** Resolves when no API process has a request in flight, counting the work each does after responding. */
async function apisIdle(urls: string[]): Promise<void> {
  await Promise.all(urls.map(apiIdle));
}

async function apiIdle(url: string): Promise<void> {
  for (;;) {
    const { inflight } = (await (await fetch(`${url}/__adk_redis_harness__/inflight`)).json()) as { inflight: number };
    if (inflight === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Resolves when no promotion (which schedules extraction) or extraction is waiting or running
 * anywhere but at the model: the moment every extraction of the run has read its document.
 */
async function allExtractionsAtTheModel(controller: Controller, model: StandInModel): Promise<void> {
  const EXTRACTION = 'run_delayed_extraction';
  const PROMOTION = 'promote_working_memory_to_long_term';
  for (;;) {
    const { waiting, running } = (await controller.send('tasks')) as unknown as TaskCounts;
    if (!waiting[EXTRACTION] && !waiting[PROMOTION] && !running[PROMOTION] && (running[EXTRACTION] ?? 0) <= model.held()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}
