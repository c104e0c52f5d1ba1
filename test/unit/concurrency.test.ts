import { describe, expect, it } from 'vitest';
import { remember } from '../../src/codec/bounded.js';
import { KeyedQueue, allToCompletion, mapLimit, together } from '../../src/codec/concurrency.js';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new Error('aborted'));
    });
  });

describe('together', () => {
  it("resolves with every step's value, in order", async () => {
    expect(
      await together(
        undefined,
        () => Promise.resolve(1),
        () => Promise.resolve('two'),
        () => Promise.resolve([3]),
      ),
    ).toEqual([1, 'two', [3]]);
  });

  it('aborts the other steps on the first failure and leaves none running', async () => {
    const finished: string[] = [];
    const err = await together(
      undefined,
      async () => {
        await sleep(10);
        throw new Error('first');
      },
      async (signal) => {
        await sleep(5000, signal).catch((e) => {
          finished.push('slow stopped');
          throw e;
        });
      },
    ).catch((e: Error) => e);
    expect((err as Error).message).toBe('first');
    // Stopped by the abort: a step left running would have ended its 5 s sleep without this mark.
    expect(finished).toEqual(['slow stopped']);
  });

  it("follows the caller's signal", async () => {
    const err = await together(AbortSignal.timeout(20), (signal) => sleep(5000, signal)).catch((e: Error) => e);
    expect((err as Error).message).toBe('aborted');
  });
});

describe('allToCompletion', () => {
  it('lets a write finish when a sibling fails, then throws the first failure', async () => {
    const finished: string[] = [];
    const err = await allToCompletion(
      undefined,
      () => {
        return Promise.reject(new Error('read failed'));
      },
      async (signal) => {
        await sleep(20, signal);
        finished.push('write');
      },
    ).catch((e: unknown) => e);
    expect((err as Error).message).toBe('read failed');
    expect(finished).toEqual(['write']);
  });

  it("still stops everything on the caller's signal", async () => {
    const controller = new AbortController();
    const run = allToCompletion(controller.signal, (signal) => sleep(1000, signal));
    controller.abort();
    await expect(run).rejects.toThrow('aborted');
  });
});

describe('mapLimit', () => {
  it('keeps order and the concurrency bound', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 3, 2, 4], 2, async (n) => {
      peak = Math.max(peak, ++inFlight);
      await sleep(n);
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 30, 20, 40]);
    expect(peak).toBe(2);
  });

  it('starts nothing new after a failure and settles everything before rejecting', async () => {
    const started: number[] = [];
    let running = 0;
    const err = await mapLimit([0, 1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      running++;
      await sleep(n === 0 ? 1 : 20);
      running--;
      if (n === 0) throw new Error('boom');
      return n;
    }).catch((e: Error) => e);
    expect((err as Error).message).toBe('boom');
    expect(running).toBe(0);
    expect(started).toEqual([0, 1]);
  });
});

describe('KeyedQueue', () => {
  it('runs one key at a time in call order, other keys alongside, and goes on after a failure', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const step =
      (name: string, ms: number, fail = false) =>
      async () => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      };
    const a1 = queue.run('a', step('a1', 30, true));
    const a2 = queue.run('a', step('a2', 1));
    const b1 = queue.run('b', step('b1', 1));
    await expect(a1).rejects.toThrow('a1');
    await expect(a2).resolves.toBe('a2');
    await expect(b1).resolves.toBe('b1');
    expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
    expect(log.indexOf('end b1')).toBeLessThan(log.indexOf('end a1'));
  });
});

describe('remember (bounded cache)', () => {
  it('keeps the most recently stored entries up to the limit', () => {
    const map = new Map<string, number>();
    remember(map, 'a', 1, 2);
    remember(map, 'b', 2, 2);
    remember(map, 'a', 3, 2);
    remember(map, 'c', 4, 2);
    expect([...map.entries()]).toEqual([
      ['a', 3],
      ['c', 4],
    ]);
  });
});
