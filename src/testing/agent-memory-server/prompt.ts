import { isObject, type Incoming, type Outgoing } from '../http.js';
import type { EmbedFunction } from '../embedding.js';
import { countTokens } from './background.js';
import { search, type AmsMemory } from './long-term.js';
import { detail, unprocessable, workingMemoryKey, type AgentMemoryServerState } from './working-memory.js';

type PromptMessage = { role: 'system' | 'user' | 'assistant'; content: { type: 'text'; text: string } };
const text = (role: PromptMessage['role'], t: string): PromptMessage => ({ role, content: { type: 'text', text: t } });
type Message = { role: string; content: string };

/**
 * `POST /v1/memory/prompt` as v0.15.2 answers it: the session's summary as a system message, its
 * messages (the oldest dropped until they fit the window, when one is named), the long-term
 * memories found for the query as a system message, then the query as the user's message.
 */
export function memoryPromptHandler(state: AgentMemoryServerState, memories: Map<string, AmsMemory>, vectors: Map<string, number[]>, embed: EmbedFunction): (req: Incoming) => Outgoing | undefined {
  return (req) => {
    if (req.method !== 'POST' || req.path !== '/v1/memory/prompt') return undefined;
    const b = req.body;
    if (req.bodyError || !isObject(b)) return unprocessable([{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }]);
    if (typeof b.query !== 'string') return unprocessable([{ loc: ['body', 'query'], msg: 'Field required', type: 'missing' }]);
    const session = isObject(b.session) ? b.session : undefined;
    if (b.session != null && (!session || typeof session.session_id !== 'string')) return unprocessable([{ loc: ['body', 'session', 'session_id'], msg: 'Field required', type: 'missing' }]);
    if (!session && !b.long_term_search) return detail(400, 'Either session or long_term_search must be provided');
    const messages: PromptMessage[] = [];
    if (session) {
      const doc = state.workingMemory.get(workingMemoryKey(session.session_id as string, session.user_id as string | null, session.namespace as string | null));
      if (typeof doc?.context === 'string' && doc.context) messages.push(text('system', `## A summary of the conversation so far:\n${doc.context}`));
      let recent = (doc?.messages ?? []) as Message[];
      const limit = typeof session.context_window_max === 'number' ? session.context_window_max : undefined;
      const tokens = (ms: Message[]) => ms.reduce((n, m) => n + countTokens(`${m.role}: ${m.content}`), 0);
      if (limit !== undefined) while (recent.length > 1 && tokens(recent) > limit) recent = recent.slice(1);
      for (const m of recent) messages.push(text(m.role === 'user' ? 'user' : 'assistant', m.content));
    }
    let found: Record<string, unknown>[] | null = null;
    if (b.long_term_search) {
      const payload: Record<string, unknown> =
        b.long_term_search === true
          ? { ...(session ? { session_id: { ne: session.session_id } } : {}), ...(session?.user_id ? { user_id: { eq: session.user_id } } : {}), limit: 20, offset: 0 }
          : { ...(b.long_term_search as Record<string, unknown>), text: b.query };
      if (b.long_term_search !== true && session?.user_id && !payload.user_id) payload.user_id = { eq: session.user_id };
      const out = search(memories, vectors, embed, { body: payload });
      if (out.status !== 200) return out;
      const result = out.body as { memories: Record<string, unknown>[]; total: number };
      if (result.total > 0) {
        found = result.memories;
        messages.push(text('system', `## Long term memories related to the user's query\n ${result.memories.map((m) => `- ${String(m.text)} (ID: ${String(m.id)})`).join('\n')}`));
      } else {
        messages.push(text('system', "## Long term memories related to the user's query\n No relevant long-term memories found."));
      }
    }
    messages.push(text('user', b.query));
    return { status: 200, body: { messages, long_term_memories: found } };
  };
}
