// Compiled by `npm run typecheck` (never executed). Each @ts-expect-error must meet a real type
// error: if a wrong field name or type ever compiled, tsc would report the unused directive and
// the test command would fail.
import { createAgentMemoryServerClient, createRedisAgentMemoryClient } from '../../src/clients/index.js';

const ram = createRedisAgentMemoryClient({ apiBaseUrl: 'http://localhost:8000', apiKey: 'k', storeId: 's' });
const ams = createAgentMemoryServerClient({ apiBaseUrl: 'http://localhost:8000' });
const createdAt = new Date().toISOString();

export async function wrongFieldsDoNotCompile(): Promise<void> {
  // The correct call compiles.
  await ram.addSessionEvent({ actorId: 'u', role: 'USER', content: [{ text: 'hi' }], createdAt });

  // @ts-expect-error `actor` is not a field; the spec calls it `actorId`.
  await ram.addSessionEvent({ actor: 'u', role: 'USER', content: [{ text: 'hi' }], createdAt });

  // @ts-expect-error role must be USER | ASSISTANT | SYSTEM.
  await ram.addSessionEvent({ actorId: 'u', role: 'user', content: [{ text: 'hi' }], createdAt });

  // @ts-expect-error content parts are objects with `text`, not strings.
  await ram.addSessionEvent({ actorId: 'u', role: 'USER', content: ['hi'], createdAt });

  // @ts-expect-error limit is a number.
  await ram.listSessions({ limit: '10' });

  // @ts-expect-error similarityThreshold is a number.
  await ram.searchLongTermMemory({ text: 'x', similarityThreshold: 'high' });

  // @ts-expect-error messages need `content`, not `text`.
  await ams.putWorkingMemory('s', { messages: [{ role: 'user', text: 'hi' }] });

  // @ts-expect-error memory_type is an enum.
  await ams.createLongTermMemories({ memories: [{ id: 'm', text: 't', memory_type: 'fact' }] });

  const got = await ams.getWorkingMemory('s');
  // @ts-expect-error responses are typed too: there is no `events` on working memory.
  void got.events;
}
