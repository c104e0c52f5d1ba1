/**
 * How the properties run. The seed is fixed (the same inputs on every run, so CI never turns red
 * by chance); `FC_SEED=<n>` tries other inputs, and a failure prints the seed and path that
 * `FC_SEED=<seed> FC_PATH=<path>` replays. `FC_RUNS=<n>` runs more; `FC_NO_SHRINK=1` reports the
 * first failing input as generated (shrinking one can take minutes).
 */
export const DEFAULT_SEED = 42;

export function propertySettings(runs: number) {
  return {
    numRuns: Number(process.env.FC_RUNS ?? runs),
    seed: Number(process.env.FC_SEED ?? DEFAULT_SEED),
    ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}),
    endOnFailure: process.env.FC_NO_SHRINK === '1',
  };
}
