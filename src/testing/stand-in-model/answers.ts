/**
 * What the stand-in model answers to each prompt Agent Memory Server v0.15.2 sends: deterministic,
 * offline, and shaped as the server's code parses it. The real server (through the stand-in's
 * OpenAI-compatible endpoint) and the reference server (calling these functions directly with the
 * inputs the real server would put in its prompts) get the same answers, so what a client sees of
 * extraction and summarisation can be compared between the two.
 */
import { extendSummary } from '../summary.js';
import { terms } from '../embedding.js';
import { splitDay } from '../../codec/memory.js';

/** The extraction strategies of `memory_strategies.py`, plus the server's topic/entity/merge prompts. */
export type PromptKind =
  'discrete' | 'summary' | 'preferences' | 'custom' | 'topics' | 'entities' | 'working-memory-summary' | 'merge' | 'optimize-query' | 'other';

/** One extracted memory as the server's strategies parse it (`{"memories": [...]}`). */
export interface ExtractedMemoryAnswer {
  type: 'semantic' | 'episodic';
  text: string;
  topics: string[];
  entities: string[];
  event_date: string | null;
}

export const WORKING_MEMORY_SUMMARY_HEADING = 'Summary of the conversation so far:';

const MARKERS: [PromptKind, string][] = [
  ['discrete', 'You are a long-memory manager.'],
  ['summary', 'You are a conversation summarizer.'],
  ['preferences', 'You are a user preference extractor.'],
  ['working-memory-summary', 'You are a precise summarization assistant.'],
  ['merge', 'You are a memory merging assistant.'],
  ['optimize-query', 'Transform this natural language query into an optimized version for semantic search.'],
  ['topics', 'topics from the following text.'],
  ['entities', 'Extract named entities (people, organizations, locations, products, etc.) from the following text.'],
];

/** Which of the server's prompts this is; a JSON request nobody recognises is a custom strategy's. */
export function kindOf(prompt: string, wantsJson: boolean): PromptKind {
  for (const [kind, marker] of MARKERS) if (prompt.includes(marker)) return kind;
  return wantsJson ? 'custom' : 'other';
}

/**
 * The user's statements in a conversation as the server renders it: `[USER]: text` in a working
 * memory thread, `user: text` in a message memory (`(8 May 2023) user: text` with the day it was said).
 */
export function userStatements(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^(?:\[USER\]|user):\s?(.*)$/i.exec(splitDay(line.trimStart()).rest);
    if (m && m[1]!.trim()) out.push(m[1]!.trim());
  }
  return out;
}

const PREFERENCE = /\b(prefer|prefers|like|likes|love|loves|enjoy|enjoys|hate|hates|always|never|favou?rite)\b/i;

const memory = (text: string): ExtractedMemoryAnswer => ({ type: 'semantic', text, topics: [], entities: [], event_date: null });

/**
 * The memories each strategy yields from a conversation, distinguishable from one another:
 * `discrete` one per user statement (its text), `summary` one for the whole conversation,
 * `preferences` one per statement of a preference, `custom` one per statement, marked as such.
 */
export function extractionAnswer(strategy: 'discrete' | 'summary' | 'preferences' | 'custom', conversation: string): ExtractedMemoryAnswer[] {
  const said = userStatements(conversation);
  switch (strategy) {
    case 'discrete':
      return said.map(memory);
    case 'summary':
      return said.length ? [memory(`Conversation summary: ${said.join('; ')}`)] : [];
    case 'preferences':
      return said.filter((s) => PREFERENCE.test(s)).map((s) => memory(`User preference: ${s}`));
    case 'custom':
      return said.map((s) => memory(`Custom: ${s}`));
  }
}

/** The working-memory summary: the previous one extended by one line per summarised message. */
export function workingMemorySummaryAnswer(previous: string, lines: string[]): string {
  return extendSummary(WORKING_MEMORY_SUMMARY_HEADING, previous || null, lines);
}

/** Topics: the first distinct word stems of the text, at most `n`. */
export function topicsAnswer(text: string, n: number): string[] {
  return [...new Set(terms(text).filter((t) => t.length > 3))].slice(0, n);
}

/** Entities: the distinct capitalised words after the first word of each sentence. */
export function entitiesAnswer(text: string): string[] {
  return [...new Set(text.match(/(?<=[\p{Ll}\p{N},;] )\p{Lu}[\p{L}\p{N}]+/gu) ?? [])];
}

/**
 * The token usage the stand-in reports for an answer: what it generated only, so that the server's
 * token accounting (`tokens` grows by each summary's usage) can be reproduced without the prompt.
 */
export function usageOf(content: string): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const n = Math.ceil(content.length / 4);
  return { prompt_tokens: 0, completion_tokens: n, total_tokens: n };
}

/** The merged memory: the first one listed (the memory being added), as one text. */
export function mergeAnswer(texts: string[]): string {
  return texts[0] ?? '';
}

function between(text: string, start: string, end: string): string {
  const from = text.lastIndexOf(start);
  if (from < 0) return '';
  const rest = text.slice(from + start.length);
  const to = rest.indexOf(end);
  return to < 0 ? rest : rest.slice(0, to);
}

/** The answer to one chat completion request: the message content the server will parse. */
export function answer(prompt: string, wantsJson: boolean): { kind: PromptKind; content: string } {
  const kind = kindOf(prompt, wantsJson);
  const json = (value: unknown) => ({ kind, content: JSON.stringify(value) });
  switch (kind) {
    case 'discrete':
    case 'summary':
    case 'preferences':
      // The conversation follows the prompt's `Message:` / `Conversation:` line.
      return json({ memories: extractionAnswer(kind, prompt.slice(prompt.lastIndexOf(kind === 'summary' ? 'Conversation:' : 'Message:'))) });
    case 'custom':
      return json({ memories: extractionAnswer('custom', prompt) });
    case 'topics': {
      const n = Number(/Extract the top (\d+) topics/.exec(prompt)?.[1] ?? 3);
      return json({ topics: topicsAnswer(between(prompt, 'Text:\n', '\n\nReturn a JSON object'), n) });
    }
    case 'entities':
      return json({ entities: entitiesAnswer(between(prompt, 'Text:\n', '\n\nReturn a JSON object')) });
    case 'working-memory-summary': {
      // After the template's worked example: the previous summary, then the lines to fold in.
      const tail = prompt.slice(prompt.lastIndexOf('END OF EXAMPLE'));
      const previous = between(tail, 'Current summary:\n', '\n\nNew lines of conversation:').trim();
      const lines = between(tail, 'New lines of conversation:\n', '\n\nNew summary:')
        .split('\n')
        .filter((l) => l.trim());
      return { kind, content: workingMemorySummaryAnswer(previous, lines) };
    }
    case 'merge': {
      const texts = between(prompt, 'The memories:\n', '\n\n    The merged memory:')
        .split('\n')
        .map((l) => /^\s*\d+: (.*)$/.exec(l)?.[1])
        .filter((t): t is string => t !== undefined);
      return { kind, content: mergeAnswer(texts) };
    }
    case 'optimize-query':
      return { kind, content: between(prompt, 'Original query: ', '\n\nOptimized query:').trim() };
    case 'other':
      return { kind, content: '' };
  }
}
