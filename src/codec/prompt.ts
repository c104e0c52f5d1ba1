import { isCompactedEvent, type Session } from '@google/adk';
import { conversationText, isUserAuthored } from './events.js';

/** One message of a memory prompt, in the shape Agent Memory Server's `/v1/memory/prompt` returns. */
export interface PromptMessage {
  role: 'system' | 'user' | 'assistant';
  content: { type: 'text'; text: string };
}

/** Same wording as Agent Memory Server's memory prompt, so both backends answer alike. */
export const SUMMARY_HEADING = '## A summary of the conversation so far:';
export const MEMORIES_HEADING = "## Long term memories related to the user's query";

export const text = (role: PromptMessage['role'], t: string): PromptMessage => ({ role, content: { type: 'text', text: t } });

/** The long-term memories block: one line per memory, or the server's wording for none. */
export function memoriesMessage(memories: { id: string; text: string }[]): PromptMessage {
  return memories.length
    ? text('system', `${MEMORIES_HEADING}\n ${memories.map((m) => `- ${m.text} (ID: ${m.id})`).join('\n')}`)
    : text('system', `${MEMORIES_HEADING}\n No relevant long-term memories found.`);
}

/**
 * The session part of a memory prompt built from an ADK session: the latest summary (a
 * CompactedEvent, such as a backend's own summary) and the conversation after it.
 */
export function sessionMessages(session: Session | undefined): PromptMessage[] {
  if (!session) return [];
  const summary = session.events.filter(isCompactedEvent).pop();
  const after = session.events.filter((e) => !isCompactedEvent(e) && (!summary || e.timestamp > summary.endTime));
  const out: PromptMessage[] = summary ? [text('system', `${SUMMARY_HEADING}\n${summary.compactedContent}`)] : [];
  for (const e of after) {
    const t = conversationText(e);
    if (t !== undefined) out.push(text(isUserAuthored(e) ? 'user' : 'assistant', t));
  }
  return out;
}
