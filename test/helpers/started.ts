/**
 * Closes what a `beforeAll` started, in order. A `beforeAll` that failed leaves its variables
 * unset, whatever their types say, and the failure to report is that one, not a TypeError here.
 */
export async function closeIfStarted(...started: ({ close(): unknown } | undefined)[]): Promise<void> {
  for (const s of started) await s?.close();
}
