/**
 * The launcher's side of `python/real-agent-memory-server/harness.py`, the process that runs the
 * server's background tasks: one JSON command per line on its stdin, one answer per line on its
 * file descriptor 3.
 */
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { ChildFailedError, type Child } from './processes.js';

export type HarnessCommand = 'drain' | 'idle' | 'settle' | 'tasks' | 'workers';

/** The answer to `tasks`: waiting (queued or scheduled) and running tasks by function name, and running tasks by the worker's process id. */
export interface TaskCounts {
  waiting: Record<string, number>;
  running: Record<string, number>;
  runningOn: Record<string, number>;
}

export interface Controller {
  ready: Promise<void>;
  send(cmd: HarnessCommand): Promise<Record<string, unknown>>;
}

export function controllerOf(child: Child): Controller {
  const input = child.proc.stdin as Writable;
  const answers = child.proc.stdio[3] as Readable;
  const waiting = new Map<number, { resolve: (answer: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  let next = 0;
  let readyResolve!: () => void;
  let readyReject!: (e: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  ready.catch(() => undefined);
  createInterface({ input: answers }).on('line', (line) => {
    const msg = JSON.parse(line) as Record<string, unknown> & { ready?: boolean; id?: number; ok?: boolean; error?: string };
    if (msg.ready) return readyResolve();
    const w = waiting.get(msg.id!);
    waiting.delete(msg.id!);
    if (msg.ok) w?.resolve(msg);
    else w?.reject(new Error(`the real server's background tasks failed: ${msg.error}`));
  });
  void child.exited.then((code) => {
    const e = new ChildFailedError(child, `${child.name} exited (${code})`, code);
    readyReject(e);
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  });
  return {
    ready,
    send(cmd) {
      const id = ++next;
      return new Promise<Record<string, unknown>>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        input.write(`${JSON.stringify({ id, cmd })}\n`);
      });
    },
  };
}
