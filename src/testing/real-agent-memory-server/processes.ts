/**
 * The child processes of a real-server harness: each in a process group of its own so that
 * stopping it stops everything it started, a bounded tail of its output for error messages, and
 * a watchdog that kills them all if this Node process dies without closing them.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';

const TAIL_BYTES = 64 * 1024;

export interface Child {
  name: string;
  pid: number;
  proc: ChildProcess;
  /** The last 64 KiB the process printed (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or signal) when the process ends. */
  exited: Promise<string>;
  stop(): Promise<void>;
}

/** Every process group started here and not yet stopped, killed on exit as a last resort. */
const live = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of live) killGroup(pid, 'SIGKILL');
  });
}

/** Starts a process in its own group; `logFile` also receives everything it prints. */
export function startChild(name: string, command: string, args: string[], options: SpawnOptions & { logFile?: string } = {}): Child {
  installExitHook();
  const { logFile, ...spawnOptions } = options;
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions, detached: true });
  if (proc.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const pid = proc.pid;
  live.add(pid);
  let tail = '';
  const collect = (b: Buffer) => {
    tail = (tail + b.toString('utf8')).slice(-TAIL_BYTES);
    if (logFile) appendFileSync(logFile, b);
  };
  proc.stdout?.on('data', collect);
  proc.stderr?.on('data', collect);
  const exited = new Promise<string>((resolve) => {
    proc.once('exit', (code, signal) => {
      live.delete(pid);
      resolve(signal ?? String(code));
    });
    proc.once('error', (e) => {
      live.delete(pid);
      resolve(`error: ${e.message}`);
    });
  });
  let stopping: Promise<void> | undefined;
  return {
    name,
    pid,
    proc,
    output: () => tail,
    exited,
    stop() {
      stopping ??= (async () => {
        if (!live.has(pid)) return;
        killGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
        // Whatever the group's leader left behind (uvicorn workers, subprocesses) goes too.
        killGroup(pid, 'SIGKILL');
      })();
      return stopping;
    },
  };
}

/**
 * A shell process that outlives nothing: once this Node process is gone (even by SIGKILL, when no
 * exit hook runs) it kills every process group listed in `pidFile`, then removes `runDir` (the
 * processes' folder) when given. Stopped by `close()`.
 */
export function startWatchdog(pidFile: string, runDir?: string): { add(pid: number): void; close(): void } {
  writeFileSync(pidFile, '');
  // POSIX sh (dash): `kill -9 -PID` signals the process group PID leads.
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; for p in $(cat "$1"); do kill -9 "-$p" 2>/dev/null; done; [ -n "$2" ] && rm -rf "$2"`;
  const dog = spawn('sh', ['-c', script, 'watchdog', pidFile, runDir ?? ''], { stdio: 'ignore', detached: true });
  dog.unref();
  return {
    add: (pid) => appendFileSync(pidFile, `${pid}\n`),
    close: () => {
      if (dog.pid !== undefined) killGroup(dog.pid, 'SIGKILL');
    },
  };
}

/** Asks the OS for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether something already listens on this loopback port. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(true));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(false)));
  });
}

/** Polls `ready` until it is true, failing early when the child exits, or after `timeoutMs`. */
export async function waitUntil(child: Child, what: string, ready: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ended: string | undefined;
  void child.exited.then((code) => (ended = code));
  for (;;) {
    if (ended !== undefined) throw new ChildFailedError(child, `${child.name} exited (${ended}) before ${what}`, ended);
    if (await ready()) return;
    if (Date.now() > deadline) throw new ChildFailedError(child, `${child.name} did not ${what} within ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A harness process that failed to start; `output` is the tail of what it printed, `exitCode` its
 * exit code (or signal) when it ended rather than not answering in time.
 */
export class ChildFailedError extends Error {
  readonly output: string;
  readonly exitCode: string | undefined;
  constructor(child: Child, message: string, exitCode?: string) {
    super(message);
    this.name = 'ChildFailedError';
    this.output = child.output();
    this.exitCode = exitCode;
  }
}
