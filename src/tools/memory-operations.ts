import type { Session } from '@google/adk';
import { z } from 'zod';
import { InvalidInputError, NotFoundError } from '../clients/errors.js';
import type { RedisLongTermMemoryService } from '../services/memory-service.js';

/** The names of the memory tools createMemoryTools builds. */
export type MemoryToolName = 'search_memory' | 'create_memory' | 'update_memory' | 'delete_memory' | 'memory_prompt';

/** Whose memories a call touches: always from the session or server configuration, never from the model. */
export interface MemoryCaller {
  appName: string;
  userId: string;
  /** The conversation the call is made in, for memory_prompt. */
  session?: Session;
}

/**
 * One memory operation as a tool: its name, what the model reads about it, its parameters, and
 * the work. The ADK tools (createMemoryTools) and the MCP server (adk-redis-mcp) are both built
 * from these, so the two offer the same operations with the same pinning of the user.
 */
export interface MemoryOperation<S extends z.ZodObject = z.ZodObject> {
  name: MemoryToolName;
  description: string;
  parameters: S;
  run(memory: RedisLongTermMemoryService, args: z.infer<S>, caller: MemoryCaller): Promise<unknown>;
}

const define = <S extends z.ZodObject>(op: MemoryOperation<S>): MemoryOperation => op;
const textOf = (parts: { text?: string }[] | undefined) => (parts ?? []).map((p) => p.text ?? '').join(' ');

export const MEMORY_OPERATIONS: readonly MemoryOperation[] = [
  define({
    name: 'search_memory',
    description:
      "Searches the user's long-term memory (facts, preferences, past events and earlier conversations) for what is relevant to a query. Returns the closest memories first, each with its id.",
    parameters: z.object({
      query: z.string().describe('What to look for, in natural language, e.g. "running goals" or "dietary restrictions".'),
      limit: z.number().int().min(1).max(100).optional().describe('Maximum number of memories to return.'),
    }),
    run: async (memory, { query, limit }, { appName, userId }) => {
      const { memories } = await memory.searchMemory({ appName, userId, query, ...(limit ? { limit } : {}) });
      return {
        memories: memories.map((m) => ({
          id: m.id,
          text: textOf(m.content.parts),
          memoryType: m.memoryType,
          topics: m.topics,
          ...(m.score !== undefined ? { score: m.score } : {}),
          ...(m.author ? { author: m.author } : {}),
          ...(m.timestamp ? { timestamp: m.timestamp } : {}),
        })),
      };
    },
  }),
  define({
    name: 'create_memory',
    description:
      'Stores a durable memory about the user for future conversations. Use "semantic" for lasting facts and preferences (e.g. "User is vegetarian") and "episodic" for things that happened at a time (e.g. "User ran a half marathon on 2026-03-01", with eventDate).',
    parameters: z.object({
      text: z.string().min(1).describe('The memory, as a self-contained sentence about the user.'),
      memoryType: z.enum(['semantic', 'episodic']).optional().describe('semantic (default) or episodic.'),
      topics: z.array(z.string()).optional().describe('Short topic tags, e.g. ["running", "goals"].'),
      eventDate: z.string().optional().describe('ISO 8601 date-time of the event, for episodic memories.'),
    }),
    run: async (memory, { text, memoryType, topics, eventDate }, { appName, userId }) => {
      const { ids } = await memory.addMemory({
        appName,
        userId,
        memories: [
          {
            content: { role: 'user', parts: [{ text }] },
            memoryType: memoryType ?? 'semantic',
            ...(topics ? { topics } : {}),
            ...(eventDate ? { eventDate } : {}),
          },
        ],
      });
      return { id: ids[0], stored: true };
    },
  }),
  define({
    name: 'update_memory',
    description: "Corrects one of the user's memories, by the id that search_memory returned. Give only what changes.",
    parameters: z.object({
      id: z.string().describe('The memory id from search_memory.'),
      text: z.string().min(1).optional().describe('The corrected memory text.'),
      topics: z.array(z.string()).optional().describe('The new topic tags.'),
      memoryType: z.enum(['semantic', 'episodic']).optional(),
    }),
    run: async (memory, { id, text, topics, memoryType }, { appName, userId }) => {
      const m = await memory.updateMemory({
        appName,
        userId,
        id,
        ...(text ? { text } : {}),
        ...(topics ? { topics } : {}),
        ...(memoryType ? { memoryType } : {}),
      });
      return { id: m.id, text: textOf(m.content.parts), topics: m.topics, memoryType: m.memoryType };
    },
  }),
  define({
    name: 'delete_memory',
    description: 'Deletes memories the user asked to forget, by the ids that search_memory returned.',
    parameters: z.object({ ids: z.array(z.string()).min(1).describe('Memory ids from search_memory.') }),
    run: async (memory, { ids }, { appName, userId }) => memory.deleteMemory({ appName, userId, ids }),
  }),
  define({
    name: 'memory_prompt',
    description:
      "Gathers context for answering a question: a summary of this conversation so far, its recent messages, and the user's long-term memories relevant to the question. Returns the context as messages.",
    parameters: z.object({
      query: z.string().min(1).describe('The question or topic to gather context for.'),
      limit: z.number().int().min(1).max(100).optional().describe('Maximum number of long-term memories to include.'),
    }),
    run: async (memory, { query, limit }, { appName, userId, session }) => {
      const { messages } = await memory.memoryPrompt({ appName, userId, query, ...(limit ? { limit } : {}), ...(session ? { session } : {}) });
      return { messages: messages.map((m) => ({ role: m.role, text: m.content.text })) };
    },
  }),
];

/** Input problems go back to the model so it can correct itself; backend failures still throw. */
export async function answerModel<T>(work: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof InvalidInputError || e instanceof NotFoundError) return { error: e.message };
    throw e;
  }
}
