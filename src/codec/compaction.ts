import { createEvent, isCompactedEvent, type CompactedEvent, type Event } from '@google/adk';
import { tupleId } from './ids.js';

/** What a backend says it summarised: the summary text and where the retained events begin. */
export interface BackendSummary {
  text: string;
  /** Index in the timeline of the first event the backend still keeps verbatim. */
  firstRetained: number;
  /** When the summarised range began, if no summarised event is left to tell (for example the session's creation). */
  startHint?: number | undefined;
}

/**
 * Places a backend's own session summary into the timeline as an ADK CompactedEvent, right
 * before the events it did not summarise. ADK's `getActiveEvents` then hands the model the summary
 * plus the events after `endTime`, while every stored event stays in `session.events`.
 */
export function withBackendSummary(timeline: Event[], summary: BackendSummary): Event[] {
  const summarised = timeline.slice(0, summary.firstRetained).filter((e) => !isCompactedEvent(e));
  const retained = timeline.slice(summary.firstRetained);
  const firstKept = retained.find((e) => !isCompactedEvent(e));
  const endTime = summarised.at(-1)?.timestamp ?? (firstKept ? firstKept.timestamp - 1 : (summary.startHint ?? 0));
  const startTime = Math.min(summarised[0]?.timestamp ?? summary.startHint ?? endTime, endTime);
  const compacted: CompactedEvent = {
    ...createEvent({
      id: tupleId('summary', 'backend-summary', [summary.text]),
      invocationId: '',
      author: 'system',
      timestamp: endTime,
      content: { role: 'model', parts: [{ text: summary.text }] },
    }),
    isCompacted: true,
    startTime,
    endTime,
    compactedContent: summary.text,
  };
  return [...timeline.slice(0, summary.firstRetained), compacted, ...retained];
}
