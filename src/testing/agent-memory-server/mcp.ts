import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import type { Intercept } from '../http.js';

/**
 * The Agent Memory Server's MCP endpoint (agent_memory_server/mcp.py at v0.15.2): streamable HTTP,
 * stateless, at `/mcp` and `/{namespace}/mcp`, with the same tool names and parameters. Every tool
 * is answered by this reference server's own REST API, so MCP and REST share one state. As on the
 * real server, the namespace in the path is used only where the call does not give one.
 */

const tagFilter = z
  .object({ eq: z.string().optional(), ne: z.string().optional(), any: z.array(z.string()).optional(), all: z.array(z.string()).optional() })
  .describe('Tag filter: eq, ne, any or all');
const numberFilter = z
  .object({
    gt: z.number().optional(),
    lt: z.number().optional(),
    gte: z.number().optional(),
    lte: z.number().optional(),
    eq: z.number().optional(),
    ne: z.number().optional(),
    between: z.array(z.number()).optional(),
  })
  .describe('Range filter');
const memoryType = z.enum(['semantic', 'episodic', 'message']);
const searchMode = z.enum(['semantic', 'keyword', 'hybrid']);
const lenientMemory = z.looseObject({
  text: z.string(),
  id: z.string().optional(),
  session_id: z.string().optional(),
  user_id: z.string().optional(),
  namespace: z.string().optional(),
  topics: z.array(z.string()).optional(),
  entities: z.array(z.string()).optional(),
  memory_type: memoryType.optional(),
  event_date: z.string().optional(),
  pinned: z.boolean().optional(),
});
const message = z.looseObject({ role: z.string(), content: z.string(), id: z.string().optional(), created_at: z.string().optional() });
const recency = {
  recency_boost: z.boolean().optional(),
  recency_semantic_weight: z.number().optional(),
  recency_recency_weight: z.number().optional(),
  recency_freshness_weight: z.number().optional(),
  recency_novelty_weight: z.number().optional(),
  recency_half_life_last_access_days: z.number().optional(),
  recency_half_life_created_days: z.number().optional(),
  server_side_recency: z.boolean().optional(),
};
const searchFilters = {
  namespace: tagFilter.optional(),
  topics: tagFilter.optional(),
  entities: tagFilter.optional(),
  created_at: numberFilter.optional(),
  last_accessed: numberFilter.optional(),
  user_id: tagFilter.optional(),
  memory_type: tagFilter.optional(),
  event_date: numberFilter.optional(),
  distance_threshold: z.number().optional(),
  search_mode: searchMode.optional(),
  limit: z.number().int().optional(),
  offset: z.number().int().optional(),
  optimize_query: z.boolean().optional(),
  ...recency,
};

type Call = (method: string, path: string, body?: unknown) => Promise<unknown>;
type ToolResult = { content: { type: 'text'; text: string }[]; structuredContent?: Record<string, unknown>; isError?: boolean };

/** As the real server's FastMCP answers a tool that returns a model: the JSON as text, and the same as structured content. */
const ok = (value: unknown): ToolResult => ({
  content: [{ type: 'text', text: JSON.stringify(value) }],
  ...(value !== null && typeof value === 'object' && !Array.isArray(value) ? { structuredContent: value as Record<string, unknown> } : {}),
});
const failed = (e: unknown): ToolResult => ({ content: [{ type: 'text', text: e instanceof Error ? e.message : String(e) }], isError: true });
const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

function buildServer(call: Call, pathNamespace: string | undefined): McpServer {
  const server = new McpServer({ name: 'agent-memory-server (adk-redis reference)', version: '0.15.2' });
  const run =
    <A>(work: (args: A) => Promise<unknown>) =>
    async (args: A): Promise<ToolResult> => {
      try {
        return ok(await work(args));
      } catch (e) {
        return failed(e);
      }
    };
  // mcp.py's call_tool: the namespace from the path, only for these tools and only when absent.
  const filterNamespace = (given: { eq?: string } | undefined) => given ?? (pathNamespace ? { eq: pathNamespace } : undefined);

  server.registerTool('get_current_datetime', { description: 'Get the current date and time in UTC.' }, () => {
    const now = new Date();
    return ok({ iso_utc: now.toISOString().replace(/\.\d{3}Z$/, 'Z'), unix_ts: Math.floor(now.getTime() / 1000) });
  });

  server.registerTool(
    'create_long_term_memories',
    { description: 'Create long-term memories that can be searched later.', inputSchema: { memories: z.array(lenientMemory) } },
    run(async ({ memories }) => call('POST', '/v1/long-term-memory/', { memories: memories.map((m) => ({ ...m, id: m.id ?? randomUUID() })) })),
  );

  server.registerTool(
    'search_long_term_memory',
    {
      description: 'Search for memories related to a query for vector search.',
      inputSchema: { text: z.string().nullable(), session_id: tagFilter.optional(), ...searchFilters },
    },
    run(async ({ optimize_query: _optimize, namespace, ...args }) =>
      call(
        'POST',
        '/v1/long-term-memory/search',
        defined({ ...args, namespace: filterNamespace(namespace), limit: args.limit ?? 10, offset: args.offset ?? 0 }),
      ),
    ),
  );

  server.registerTool(
    'memory_prompt',
    {
      description: 'Hydrate a user query with relevant session history and long-term memories.',
      inputSchema: {
        query: z.string(),
        session_id: tagFilter.optional(),
        model_name: z.string().optional(),
        context_window_max: z.number().int().optional(),
        include_long_term_search: z.boolean().optional(),
        ...searchFilters,
      },
    },
    run(async ({ query, session_id, model_name, context_window_max, include_long_term_search = true, optimize_query: _optimize, ...filters }) => {
      const namespace = filterNamespace(filters.namespace);
      const session = session_id?.eq
        ? defined({ session_id: session_id.eq, namespace: namespace?.eq, user_id: filters.user_id?.eq, model_name, context_window_max })
        : undefined;
      if (!session && !include_long_term_search) throw new Error('Either session_id or include_long_term_search=True must be provided');
      const longTerm = include_long_term_search
        ? defined({ text: query, ...filters, namespace, limit: filters.limit ?? 10, offset: filters.offset ?? 0 })
        : undefined;
      return call('POST', '/v1/memory/prompt', defined({ query, session, long_term_search: longTerm }));
    }),
  );

  server.registerTool(
    'set_working_memory',
    {
      description: 'Set working memory for a session: messages, structured memories, context and data.',
      inputSchema: {
        session_id: z.string(),
        memories: z.array(lenientMemory).optional(),
        messages: z.array(message).optional(),
        context: z.string().optional(),
        data: z.record(z.string(), z.unknown()).optional(),
        namespace: z.string().optional(),
        user_id: z.string().optional(),
        ttl_seconds: z.number().int().optional(),
        long_term_memory_strategy: z.looseObject({ strategy: z.string() }).optional(),
      },
    },
    run(async ({ session_id, namespace, user_id, memories, messages, context, data, ttl_seconds, long_term_memory_strategy }) => {
      const ns = namespace ?? pathNamespace;
      const query = new URLSearchParams(defined({ namespace: ns, user_id }) as Record<string, string>);
      return call('PUT', `/v1/working-memory/${encodeURIComponent(session_id)}?${query}`, {
        ...defined({ namespace: ns, user_id, context, long_term_memory_strategy }),
        memories: (memories ?? []).map((m) => ({ ...m, id: m.id ?? randomUUID(), user_id, persisted_at: null })),
        messages: (messages ?? []).map((m) => ({ ...m, persisted_at: null })),
        data: data ?? {},
        ttl_seconds: ttl_seconds ?? 3600,
      });
    }),
  );

  server.registerTool(
    'get_working_memory',
    {
      description: 'Get working memory for a session.',
      inputSchema: {
        session_id: z.string(),
        user_id: z.string().optional(),
        namespace: z.string().optional(),
        recent_messages_limit: z.number().int().optional(),
      },
    },
    run(async ({ session_id, user_id, namespace, recent_messages_limit }) => {
      const query = new URLSearchParams(defined({ user_id, namespace, recent_messages_limit: recent_messages_limit?.toString() }) as Record<string, string>);
      return call('GET', `/v1/working-memory/${encodeURIComponent(session_id)}?${query}`);
    }),
  );

  server.registerTool(
    'get_long_term_memory',
    { description: 'Get a long-term memory by its ID.', inputSchema: { memory_id: z.string() } },
    run(async ({ memory_id }) => call('GET', `/v1/long-term-memory/${encodeURIComponent(memory_id)}`)),
  );

  server.registerTool(
    'edit_long_term_memory',
    {
      description: 'Edit an existing long-term memory by its ID; only the fields given change.',
      inputSchema: {
        memory_id: z.string(),
        text: z.string().optional(),
        topics: z.array(z.string()).optional(),
        entities: z.array(z.string()).optional(),
        memory_type: memoryType.optional(),
        namespace: z.string().optional(),
        user_id: z.string().optional(),
        session_id: z.string().optional(),
        event_date: z.string().optional(),
        pinned: z.boolean().optional(),
      },
    },
    run(async ({ memory_id, ...changes }) => {
      const updates = defined(changes);
      if (!Object.keys(updates).length) throw new Error('No fields provided for update');
      return call('PATCH', `/v1/long-term-memory/${encodeURIComponent(memory_id)}`, updates);
    }),
  );

  server.registerTool(
    'delete_long_term_memories',
    { description: 'Delete long-term memories by their IDs.', inputSchema: { memory_ids: z.array(z.string()) } },
    run(async ({ memory_ids }) => call('DELETE', `/v1/long-term-memory?${new URLSearchParams(memory_ids.map((id) => ['memory_ids', id]))}`)),
  );

  server.registerTool(
    'compact_long_term_memories',
    {
      description: 'Compact long-term memories by merging hash-based and semantic duplicates.',
      inputSchema: { namespace: z.string().optional(), user_id: z.string().optional(), session_id: z.string().optional() },
    },
    // The reference server keeps no duplicates worth merging; it acknowledges, as the real one queues the work.
    run(() => Promise.resolve({ status: 'ok' })),
  );
  return server;
}

/** Paths this endpoint answers, with the namespace they carry. */
function mcpPath(path: string): { namespace: string | undefined } | undefined {
  if (path === '/mcp' || path === '/mcp/') return { namespace: undefined };
  const m = /^\/([^/]+)\/mcp\/?$/.exec(path);
  return m ? { namespace: decodeURIComponent(m[1]!) } : undefined;
}

/** Answers the MCP paths of the server and leaves every other request to its REST routes. */
export function mcpEndpoint(call: Call): Intercept {
  return async (req, res, incoming) => {
    const at = mcpPath(incoming.path);
    if (!at) return false;
    await handleMcp(req, res, incoming.body, at.namespace, call);
    return true;
  };
}

/** Answers one MCP request (stateless: a server and transport per request, as the real server runs). */
async function handleMcp(req: IncomingMessage, res: ServerResponse, body: unknown, namespace: string | undefined, call: Call): Promise<void> {
  if (req.method !== 'POST') {
    // Stateless: no server-initiated stream to open (GET) and no session to end (DELETE).
    res.writeHead(405, { allow: 'POST', 'content-type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null }));
    return;
  }
  const server = buildServer(call, namespace);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}

/** Calls this server's own REST API; a failure becomes the tool's error, as on the real server. */
export function restCaller(baseUrl: () => string, apiKey: string | undefined): Call {
  return async (method, path, body) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    const res = await fetch(baseUrl() + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${text}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  };
}
