import { isObject, type Incoming, type Outgoing } from '../http.js';
import { searchRequest, type LongTermStore } from './long-term.js';
import { detail, invalid, unprocessable } from './pydantic.js';
import { contextWindow, getWorkingMemory, messagesTokens, type AgentMemoryServerState } from './working-memory.js';

/** MCP's TextContent, which the server puts in its prompt messages. */
type PromptMessage = { role: 'system' | 'user' | 'assistant'; content: { type: 'text'; text: string; annotations: null; _meta: null } };
const text = (role: PromptMessage['role'], t: string): PromptMessage => ({ role, content: { type: 'text', text: t, annotations: null, _meta: null } });

/**
 * `POST /v1/memory/prompt` as v0.15.2 answers it: the session's summary as a system message, its
 * messages (the oldest dropped until they fit the window, when one is named), the long-term
 * memories the search finds (through the same search as the search route, recency and all) as a
 * system message, then the query as the user's message.
 */
export function memoryPromptHandler(state: AgentMemoryServerState, store: LongTermStore): (req: Incoming) => Outgoing | undefined {
  return (req) => {
    if (req.method !== 'POST' || req.path !== '/v1/memory/prompt') return undefined;
    const b = req.body;
    if (req.bodyError || !isObject(b)) return unprocessable([invalid.dict(['body'], b)]);
    if (typeof b.query !== 'string')
      return unprocessable([b.query === undefined ? invalid.missing(['body', 'query'], b) : invalid.string(['body', 'query'], b.query)]);
    const session = isObject(b.session) ? b.session : undefined;
    if (b.session != null && (!session || typeof session.session_id !== 'string'))
      return unprocessable([invalid.missing(['body', 'session', 'session_id'], b.session)]);
    if (!session && !b.long_term_search) return detail(400, 'Either session or long_term_search must be provided');
    const messages: PromptMessage[] = [];
    if (session) {
      const doc = getWorkingMemory(
        state,
        session.session_id as string,
        (session.user_id as string | null | undefined) ?? null,
        (session.namespace as string | null | undefined) ?? null,
      );
      if (doc?.context) messages.push(text('system', `## A summary of the conversation so far:\n${doc.context}`));
      let recent = doc?.messages ?? [];
      const windowMax = typeof session.context_window_max === 'number' ? session.context_window_max : null;
      const model = typeof session.model_name === 'string' ? session.model_name : null;
      if (windowMax !== null || model !== null) {
        const limit = contextWindow(windowMax, model);
        if (messagesTokens(recent) > limit) while (recent.length > 1 && messagesTokens(recent) > limit) recent = recent.slice(1);
      }
      for (const m of recent) messages.push(text(m.role === 'user' ? 'user' : 'assistant', m.content));
    }
    let found: Record<string, unknown>[] | null = null;
    let after: (() => unknown) | undefined;
    if (b.long_term_search) {
      const payload: Record<string, unknown> =
        b.long_term_search === true
          ? {
              ...(session ? { session_id: { ne: session.session_id } } : {}),
              ...(session?.user_id ? { user_id: { eq: session.user_id } } : {}),
              limit: 20,
              offset: 0,
            }
          : { ...(b.long_term_search as Record<string, unknown>), text: b.query };
      if (b.long_term_search !== true && session?.user_id && !payload.user_id) payload.user_id = { eq: session.user_id };
      const out = searchRequest(store, payload);
      if (out.status !== 200) return out;
      after = out.after;
      const result = out.body as { memories: Record<string, unknown>[]; total: number };
      if (result.total > 0) {
        found = result.memories;
        messages.push(
          text(
            'system',
            `## Long term memories related to the user's query\n ${result.memories.map((m) => `- ${String(m.text)} (ID: ${String(m.id)})`).join('\n')}`,
          ),
        );
      } else {
        messages.push(text('system', "## Long term memories related to the user's query\n No relevant long-term memories found."));
      }
    }
    messages.push(text('user', b.query));
    return { status: 200, body: { messages, long_term_memories: found }, ...(after ? { after } : {}) };
  };
}
