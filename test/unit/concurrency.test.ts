import { describe, expect, it } from 'vitest';
import { mapLimit, together } from '../../src/codec/concurrency.js';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new Error('aborted'));
    });
  });

describe('together', () => {
  it('resolves with every step\'s value, in order', async () => {
    expect(await together(undefined, async () => 1, async () => 'two', async () => [3])).toEqual([1, 'two', [3]]);
  });

  it('aborts the other steps on the first failure and leaves none running', async () => {
    const finished: string[] = [];
    const started = Date.now();
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
    expect(finished).toEqual(['slow stopped']);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('follows the caller\'s signal', async () => {
    const err = await together(AbortSignal.timeout(20), (signal) => sleep(5000, signal)).catch((e: Error) => e);
    expect((err as Error).message).toBe('aborted');
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
