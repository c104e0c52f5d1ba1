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

/**
 * The same coach with the Agent Memory Server's own MCP tools, pinned to the calling session's
 * user: the model never chooses whose memories it reads or writes.
 */
export function createMcpCoachAgent(mcpUrl: string, model: string | BaseLlm = coachModel('mcp')): LlmAgent {
  return new LlmAgent({
    name: 'fitness_coach',
    model,
    description: 'A fitness coach that remembers your goals, schedule and injuries.',
    instruction: [
      'You are a friendly, practical fitness coach.',
      'When the user states a goal, a constraint (schedule, equipment) or an injury, store it with create_long_term_memories as one short sentence about the user.',
      'When the user asks a question, first call search_long_term_memory and base your answer on what it returns.',
    ].join(' '),
    tools: [createAgentMemoryMcpToolset({ url: mcpUrl })],
  });
}

export function createCoachAgent(memoryService: RedisLongTermMemoryService, model: string | BaseLlm = coachModel()): LlmAgent {
  return new LlmAgent({
    name: 'fitness_coach',
    model,
    description: 'A fitness coach that remembers your goals, schedule and injuries.',
    instruction: [
      'You are a friendly, practical fitness coach.',
      'When the user states a goal, a constraint (schedule, equipment) or an injury, store it with create_memory as one short sentence about the user.',
      'When the user asks a question, first call search_memory and base your answer on what it returns.',
    ].join(' '),
    tools: createMemoryTools(memoryService),
  });
}
