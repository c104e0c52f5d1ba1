import { Runner, type Event } from '@google/adk';

/** Runs one user turn and returns the lines a person would read: what the coach said and did. */
export async function turn(runner: Runner, userId: string, sessionId: string, text: string): Promise<{ events: Event[]; lines: string[] }> {
  const events: Event[] = [];
  for await (const e of runner.runAsync({ userId, sessionId, newMessage: { role: 'user', parts: [{ text }] } })) events.push(e);
  const lines: string[] = [];
  for (const e of events) {
    for (const p of e.content?.parts ?? []) {
      if (p.text) lines.push(`  coach: ${p.text}`);
      if (p.functionCall) lines.push(`    (tool call ${p.functionCall.name} ${JSON.stringify(p.functionCall.args)})`);
    }
  }
  return { events, lines };
}
