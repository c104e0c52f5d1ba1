import { FunctionTool, type BaseTool, type Context } from '@google/adk';
import { z } from 'zod';
import { InvalidInputError, NotFoundError } from '../clients/errors.js';
import type { RedisLongTermMemoryService } from '../services/memory-service.js';

export type MemoryToolName = 'search_memory' | 'create_memory' | 'update_memory' | 'delete_memory' | 'memory_prompt';

export interface MemoryToolsOptions {
  /** Which tools to create (default: all five). */
  include?: MemoryToolName[];
}

/** The calling user's scope, from the tool context; a tool never touches another user's memories. */
function scopeOf(ctx: Context | undefined): { appName: string; userId: string } {
  if (!ctx) throw new InvalidInputError('memory tools need a tool context (run them inside an ADK agent)', { operation: 'memoryTool', type: 'invalid-input' });
  return { appName: ctx.invocationContext.appName, userId: ctx.userId };
}

/** Input problems go back to the model so it can correct itself; backend failures still throw. */
async function answer<T>(work: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof InvalidInputError || e instanceof NotFoundError) return { error: e.message };
    throw e;
  }
}

/**
 * ADK tools that let an LlmAgent search, create, update and delete the current user's long-term
 * memories. They work beside ADK's LoadMemoryTool / PreloadMemoryTool, which use the same service.
 */
export function createMemoryTools(memoryService: RedisLongTermMemoryService, options: MemoryToolsOptions = {}): BaseTool[] {
  const include = new Set<MemoryToolName>(options.include ?? ['search_memory', 'create_memory', 'update_memory', 'delete_memory', 'memory_prompt']);
  const tools: BaseTool[] = [];

  if (include.has('search_memory')) {
    tools.push(
      new FunctionTool({
        name: 'search_memory',
        description: "Searches the user's long-term memory (facts, preferences, past events and earlier conversations) for what is relevant to a query. Returns the closest memories first, each with its id.",
        parameters: z.object({
          query: z.string().describe('What to look for, in natural language, e.g. "running goals" or "dietary restrictions".'),
          limit: z.number().int().min(1).max(100).optional().describe('Maximum number of memories to return.'),
        }),
        execute: ({ query, limit }, ctx) =>
          answer(async () => {
            const { memories } = await memoryService.searchMemory({ ...scopeOf(ctx), query, ...(limit ? { limit } : {}) });
            return {
              memories: memories.map((m) => ({
                id: m.id,
                text: (m.content.parts ?? []).map((p) => p.text ?? '').join(' '),
                memoryType: m.memoryType,
                topics: m.topics,
                ...(m.score !== undefined ? { score: m.score } : {}),
                ...(m.author ? { author: m.author } : {}),
                ...(m.timestamp ? { timestamp: m.timestamp } : {}),
              })),
            };
          }),
      }),
    );
  }

  if (include.has('create_memory')) {
    tools.push(
      new FunctionTool({
        name: 'create_memory',
        description:
          'Stores a durable memory about the user for future conversations. Use "semantic" for lasting facts and preferences (e.g. "User is vegetarian") and "episodic" for things that happened at a time (e.g. "User ran a half marathon on 2026-03-01", with eventDate).',
        parameters: z.object({
          text: z.string().min(1).describe('The memory, as a self-contained sentence about the user.'),
          memoryType: z.enum(['semantic', 'episodic']).optional().describe('semantic (default) or episodic.'),
          topics: z.array(z.string()).optional().describe('Short topic tags, e.g. ["running", "goals"].'),
          eventDate: z.string().optional().describe('ISO 8601 date-time of the event, for episodic memories.'),
        }),
        execute: ({ text, memoryType, topics, eventDate }, ctx) =>
          answer(async () => {
            const { ids } = await memoryService.addMemory({
              ...scopeOf(ctx),
              memories: [{ content: { role: 'user', parts: [{ text }] }, memoryType: memoryType ?? 'semantic', ...(topics ? { topics } : {}), ...(eventDate ? { eventDate } : {}) }],
            });
            return { id: ids[0], stored: true };
          }),
      }),
    );
  }

  if (include.has('update_memory')) {
    tools.push(
      new FunctionTool({
        name: 'update_memory',
        description: 'Corrects one of the user\'s memories, by the id that search_memory returned. Give only what changes.',
        parameters: z.object({
          id: z.string().describe('The memory id from search_memory.'),
          text: z.string().min(1).optional().describe('The corrected memory text.'),
          topics: z.array(z.string()).optional().describe('The new topic tags.'),
          memoryType: z.enum(['semantic', 'episodic']).optional(),
        }),
        execute: ({ id, text, topics, memoryType }, ctx) =>
          answer(async () => {
            const m = await memoryService.updateMemory({ ...scopeOf(ctx), id, ...(text ? { text } : {}), ...(topics ? { topics } : {}), ...(memoryType ? { memoryType } : {}) });
            return { id: m.id, text: (m.content.parts ?? []).map((p) => p.text ?? '').join(' '), topics: m.topics, memoryType: m.memoryType };
          }),
      }),
    );
  }

  if (include.has('delete_memory')) {
    tools.push(
      new FunctionTool({
        name: 'delete_memory',
        description: "Deletes memories the user asked to forget, by the ids that search_memory returned.",
        parameters: z.object({ ids: z.array(z.string()).min(1).describe('Memory ids from search_memory.') }),
        execute: ({ ids }, ctx) => answer(async () => memoryService.deleteMemory({ ...scopeOf(ctx), ids })),
      }),
    );
  }
  if (include.has('memory_prompt')) {
    tools.push(
      new FunctionTool({
        name: 'memory_prompt',
        description:
          "Gathers context for answering a question: a summary of this conversation so far, its recent messages, and the user's long-term memories relevant to the question. Returns the context as messages.",
        parameters: z.object({
          query: z.string().min(1).describe('The question or topic to gather context for.'),
          limit: z.number().int().min(1).max(100).optional().describe('Maximum number of long-term memories to include.'),
        }),
        // The user, namespace and session always come from the calling session, never from the model.
        execute: ({ query, limit }, ctx) =>
          answer(async () => {
            const session = ctx?.invocationContext.session;
            const { messages } = await memoryService.memoryPrompt({ ...scopeOf(ctx), query, ...(limit ? { limit } : {}), ...(session ? { session } : {}) });
            return { messages: messages.map((m) => ({ role: m.role, text: m.content.text })) };
          }),
      }),
    );
  }
  return tools;
}
