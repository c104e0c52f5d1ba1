/**
 * Waits until `check` answers true, asking again every `everyMs`, and fails after `withinMs`.
 * Tests wait on what they can observe (a document gone, a task queued), never on elapsed time:
 * the bound only turns a condition that never comes into a failure naming it.
 */
export async function eventually(what: string, check: () => Promise<boolean> | boolean, { withinMs = 30_000, everyMs = 100 } = {}): Promise<void> {
  const end = Date.now() + withinMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`still not so after ${withinMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
