import { LlmAgent, type BaseLlm } from '@google/adk';
// In your own project these come from 'adk-redis'.
import { createAgentMemoryMcpToolset } from '../../src/mcp/toolset.js';
import { createMemoryTools } from '../../src/tools/memory-tools.js';
import type { RedisLongTermMemoryService } from '../../src/services/memory-service.js';
import { OfflineCoachModel } from './offline-model.js';

export const APP_NAME = 'fitness-coach';

/** Gemini when GOOGLE_API_KEY is set; otherwise the deterministic offline model. */
export function coachModel(tools: 'functions' | 'mcp' = 'functions'): string | BaseLlm {
  return process.env.GOOGLE_API_KEY ? (process.env.COACH_MODEL ?? 'gemini-2.5-flash') : new OfflineCoachModel(tools);
}

/** The coach, told which tools store and search memories. */
function coach(model: string | BaseLlm, tools: LlmAgent['tools'], names: { create: string; search: string }): LlmAgent {
  return new LlmAgent({
    name: 'fitness_coach',
    model,
    description: 'A fitness coach that remembers your goals, schedule and injuries.',
    instruction: [
      'You are a friendly, practical fitness coach.',
      `When the user states a goal, a constraint (schedule, equipment) or an injury, store it with ${names.create} as one short sentence about the user.`,
      `When the user asks a question, first call ${names.search} and base your answer on what it returns.`,
    ].join(' '),
    tools,
  });
}

export function createCoachAgent(memoryService: RedisLongTermMemoryService, model: string | BaseLlm = coachModel()): LlmAgent {
  return coach(model, createMemoryTools(memoryService), { create: 'create_memory', search: 'search_memory' });
}

/**
 * The same coach with the Agent Memory Server's own MCP tools, pinned to the calling session's
 * user: the model never chooses whose memories it reads or writes.
 */
export function createMcpCoachAgent(mcpUrl: string, model: string | BaseLlm = coachModel('mcp')): LlmAgent {
  return coach(model, [createAgentMemoryMcpToolset({ url: mcpUrl })], { create: 'create_long_term_memories', search: 'search_long_term_memory' });
}
