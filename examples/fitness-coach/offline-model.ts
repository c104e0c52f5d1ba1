import { BaseLlm, type BaseLlmConnection, type LlmRequest, type LlmResponse } from '@google/adk';
import type { Content, Part } from '@google/genai';

/**
 * A deterministic stand-in for Gemini, so the example runs with no network and no API key.
 * It behaves like a small coach that uses the memory tools: it stores the goals and constraints
 * the user states (create_memory), looks things up when asked a question (search_memory), and
 * answers from what the tools returned.
 */
export class OfflineCoachModel extends BaseLlm {
  /** `mcp`: the Agent Memory Server's MCP tools (create_long_term_memories, search_long_term_memory) instead of createMemoryTools'. */
  constructor(private readonly tools: 'functions' | 'mcp' = 'functions') {
    super({ model: 'offline-coach' });
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- BaseLlm's contract is an async generator; an offline model answers at once
  override async *generateContentAsync(request: LlmRequest): AsyncGenerator<LlmResponse, void> {
    const parts = respond(request.contents);
    yield { content: { role: 'model', parts: this.tools === 'mcp' ? parts.map(toMcpCall) : parts } };
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

/** The same intent as a call of the Agent Memory Server's MCP tools. */
function toMcpCall(part: Part): Part {
  const call = part.functionCall;
  if (call?.name === 'create_memory') {
    const { text, memoryType, topics } = call.args as { text: string; memoryType: string; topics: string[] };
    return { functionCall: { name: 'create_long_term_memories', args: { memories: [{ text, memory_type: memoryType, topics }] } } };
  }
  if (call?.name === 'search_memory') return { functionCall: { name: 'search_long_term_memory', args: { text: (call.args as { query: string }).query } } };
  return part;
}

/** An MCP tool result ({ content: [{ text }] }) as the JSON it carries. */
function mcpValue(response: Record<string, unknown>): Record<string, unknown> {
  const text = (response.content as { text?: string }[] | undefined)?.[0]?.text;
  if (response.isError) return { error: text ?? 'tool error' };
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    return { error: text };
  }
}

function afterTool(name: string, raw: Record<string, unknown>): string {
  const response = name.endsWith('_long_term_memories') || name.endsWith('_long_term_memory') ? mcpValue(raw) : raw;
  if (response.error) return `Sorry, that did not work: ${typeof response.error === 'string' ? response.error : JSON.stringify(response.error)}`;
  if (name === 'create_memory' || name === 'create_long_term_memories') return 'Got it, I will remember that.';
  if (name === 'search_memory' || name === 'search_long_term_memory') {
    const memories = (response.memories as { text: string; memoryType?: string; memory_type?: string }[] | undefined) ?? [];
    const facts = memories.filter((m) => (m.memoryType ?? m.memory_type) !== 'message').map((m) => m.text);
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
