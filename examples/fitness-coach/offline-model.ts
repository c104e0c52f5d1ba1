import { BaseLlm, type BaseLlmConnection, type LlmRequest, type LlmResponse } from '@google/adk';
import type { Content, Part } from '@google/genai';

/**
 * A deterministic stand-in for Gemini, so the example runs with no network and no API key.
 * It behaves like a small coach that uses the memory tools: it stores the goals and constraints
 * the user states (create_memory), looks things up when asked a question (search_memory), and
 * answers from what the tools returned.
 */
export class OfflineCoachModel extends BaseLlm {
  constructor() {
    super({ model: 'offline-coach' });
  }

  override async *generateContentAsync(request: LlmRequest): AsyncGenerator<LlmResponse, void> {
    yield { content: { role: 'model', parts: respond(request.contents) } };
  }

  override connect(): Promise<BaseLlmConnection> {
    throw new Error('OfflineCoachModel does not support live sessions');
  }
}

const STATEMENTS: [RegExp, string, string[]][] = [
  [/\bmy goal is (.+)/i, "User's goal is $1", ['goals']],
  [/\bi can only (.+)/i, 'User can only $1', ['schedule', 'training']],
  [/\bi have (.+)/i, 'User has $1', ['health', 'injury']],
  [/\bi prefer (.+)/i, 'User prefers $1', ['preferences']],
  [/\bi(?: am|'m) (.+)/i, 'User is $1', ['profile']],
];

function respond(contents: Content[]): Part[] {
  const last = contents.at(-1);
  const result = last?.parts?.find((p) => p.functionResponse)?.functionResponse;
  if (result) return [{ text: afterTool(result.name ?? '', result.response as Record<string, unknown>) }];

  const text = lastUserText(contents);
  if (text.trim().endsWith('?')) return [{ functionCall: { name: 'search_memory', args: { query: text } } }];
  for (const [pattern, template, topics] of STATEMENTS) {
    const m = pattern.exec(text);
    if (m) {
      const fact = template.replace('$1', m[1]!.replace(/[.!]+$/, ''));
      return [{ functionCall: { name: 'create_memory', args: { text: fact, memoryType: 'semantic', topics } } }];
    }
  }
  return [{ text: 'Tell me about your goals, your schedule and any injuries, and I will remember them.' }];
}

function afterTool(name: string, response: Record<string, unknown>): string {
  if (response.error) return `Sorry, that did not work: ${String(response.error)}`;
  if (name === 'create_memory') return 'Got it, I will remember that.';
  if (name === 'search_memory') {
    const memories = (response.memories as { text: string; memoryType: string }[] | undefined) ?? [];
    const facts = memories.filter((m) => m.memoryType !== 'message').map((m) => m.text);
    if (!facts.length) return "I don't have anything about that yet.";
    return `Here is what I remember: ${facts.join('; ')}.`;
  }
  return 'Done.';
}

function lastUserText(contents: Content[]): string {
  for (let i = contents.length - 1; i >= 0; i--) {
    const text = contents[i]!.parts?.find((p) => typeof p.text === 'string')?.text;
    if (contents[i]!.role === 'user' && text) return text;
  }
  return '';
}
