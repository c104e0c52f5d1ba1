import { FunctionTool, type BaseTool, type Context } from '@google/adk';
import { InvalidInputError } from '../clients/errors.js';
import type { RedisLongTermMemoryService } from '../services/memory-service.js';
import { MEMORY_OPERATIONS, answerModel, type MemoryCaller, type MemoryToolName } from './memory-operations.js';

export type { MemoryToolName } from './memory-operations.js';

/** Options of createMemoryTools. */
export interface MemoryToolsOptions {
  /** Which tools to create (default: all five). */
  include?: MemoryToolName[];
}

/** The calling session's user and app, from the tool context; a tool never touches another user's memories. */
function callerOf(ctx: Context | undefined): MemoryCaller {
  if (!ctx) throw new InvalidInputError('memory tools need a tool context (run them inside an ADK agent)', { operation: 'memoryTool', type: 'invalid-input' });
  const session = ctx.invocationContext.session;
  return { appName: ctx.invocationContext.appName, userId: ctx.userId, session };
}

/**
 * ADK tools that let an LlmAgent search, create, update and delete the current user's long-term
 * memories, and gather context for a question. They work beside ADK's LoadMemoryTool /
 * PreloadMemoryTool, which use the same service.
 */
export function createMemoryTools(memoryService: RedisLongTermMemoryService, options: MemoryToolsOptions = {}): BaseTool[] {
  const include = new Set<MemoryToolName>(options.include ?? MEMORY_OPERATIONS.map((op) => op.name));
  return MEMORY_OPERATIONS.filter((op) => include.has(op.name)).map(
    (op) =>
      new FunctionTool({
        name: op.name,
        description: op.description,
        parameters: op.parameters,
        execute: (args, ctx) => answerModel(async () => op.run(memoryService, args as never, callerOf(ctx))),
      }),
  );
}
