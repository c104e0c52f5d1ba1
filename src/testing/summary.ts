/** The deterministic summary keeps this many lines, newest last, like a bounded LLM summary. */
const SUMMARY_LINES = 40;

/**
 * The reference servers' stand-in for a summarising LLM: the previous summary's lines, then one
 * line (at most 120 characters) per newly summarised item, the newest SUMMARY_LINES under a heading.
 */
export function extendSummary(heading: string, previous: string | null | undefined, items: string[]): string {
  const lines = [...(previous ? previous.split('\n').slice(1) : []), ...items.map((t) => `- ${t.replace(/\s+/g, ' ').slice(0, 120)}`)];
  return [heading, ...lines.slice(-SUMMARY_LINES)].join('\n');
}
