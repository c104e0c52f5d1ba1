/**
 * A fetch that holds every request for `ms` before sending it: one more round trip of network
 * distance, so concurrent calls overlap the way replicas' calls do (also on the real server).
 */
export function delayedFetch(ms: number): typeof fetch {
  return async (input, init) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return fetch(input, init);
  };
}
