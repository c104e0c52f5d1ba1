import { BaseTool, BaseToolset, MCPToolset, type Context, type ReadonlyContext, type RunAsyncToolRequest } from '@google/adk';
import type { FunctionDeclaration, Schema } from '@google/genai';
import { ConfigurationError } from '../clients/errors.js';
import { amsSessionId, amsTagValue } from '../codec/ids.js';
import { workingMemoryIdOf } from '../codec/placement.js';
import { untrusted } from '../services/validate.js';
import { toolParameters } from './schema.js';
import { textOf } from '../codec/json.js';
import { MEMORIES_HEADING, memoriesMessage } from '../codec/prompt.js';
import { inAppScope, scopeTopic, visibleTopics, writtenTopics, type MemoryScope, type MemoryScopeKind } from '../codec/memory.js';

/** The tools of Agent Memory Server's MCP server (agent_memory_server/mcp.py, v0.15.2). */
export type AgentMemoryMcpToolName =
  | 'get_current_datetime'
  | 'create_long_term_memories'
  | 'search_long_term_memory'
  | 'memory_prompt'
  | 'set_working_memory'
  | 'get_working_memory'
  | 'get_long_term_memory'
  | 'edit_long_term_memory'
  | 'delete_long_term_memories'
  | 'compact_long_term_memories';

/**
 * Offered unless `include` says otherwise. Left out: `set_working_memory` replaces the whole
 * conversation document of the session (the session service maintains it), and
 * `compact_long_term_memories` is administrative work over all of a user's memories.
 */
export const DEFAULT_MCP_TOOLS: readonly AgentMemoryMcpToolName[] = [
  'get_current_datetime',
  'create_long_term_memories',
  'search_long_term_memory',
  'memory_prompt',
  'get_working_memory',
  'get_long_term_memory',
  'edit_long_term_memory',
  'delete_long_term_memories',
];

/** Options of createAgentMemoryMcpToolset. */
export interface AgentMemoryMcpToolsetOptions {
  /** Base URL of the Agent Memory Server's MCP app, e.g. `http://localhost:9000` (tools at `/{namespace}/mcp`). */
  url: string;
  /** Tools to offer (default: DEFAULT_MCP_TOOLS). */
  include?: readonly AgentMemoryMcpToolName[];
  /** The namespace, as the session service's `defaultNamespace`; otherwise the calling app's name. */
  defaultNamespace?: string;
  /** Sent as a Bearer token when the server requires one. */
  apiKey?: string;
  /**
   * Whose memories the tools see, as `RedisLongTermMemoryService`'s option of that name: `'app'` (the
   * default) the calling app's, `'namespace'` every app's of the namespace.
   */
  memoryScope?: MemoryScopeKind;
}

/** Who is calling: always the session the tool runs in, never what the model says. */
interface Caller {
  userId: string;
  namespace: string;
  /** The app's topic its memories carry where apps share the namespace (see `scopeTopic`). */
  appTopic: string | undefined;
  /** Whether a memory record the server returned is the caller's: user, namespace and app. */
  owns: (record: Record<string, unknown>) => boolean;
  /** The topics a memory the model writes is stored with: its own (never an app's topic), and the caller's app topic. */
  topicsOf: (topics: unknown) => string[];
  /** The session's working memory id on the server (the ADK id, escaped where a URL path cannot carry it). */
  sessionId: string;
}

/** Per tool: the parameters the model does not see, and how the caller is written into the arguments. */
const PINNING: Record<
  AgentMemoryMcpToolName,
  { hide: string[]; itemsOf?: string; pin: (args: Record<string, unknown>, c: Caller) => Record<string, unknown> }
> = {
  get_current_datetime: { hide: [], pin: (a) => a },
  // The search covers all the user's sessions: no session filter, whatever the model passes.
  search_long_term_memory: {
    hide: ['user_id', 'namespace', 'session_id'],
    pin: ({ session_id: _s, ...a }, c) => ({ ...a, user_id: { eq: c.userId }, namespace: { eq: c.namespace }, ...topicsWithApp(a.topics, c) }),
  },
  memory_prompt: {
    hide: ['user_id', 'namespace', 'session_id'],
    pin: (a, c) => ({ ...a, user_id: { eq: c.userId }, namespace: { eq: c.namespace }, session_id: { eq: c.sessionId }, ...topicsWithApp(a.topics, c) }),
  },
  create_long_term_memories: {
    hide: ['user_id', 'namespace', 'session_id'],
    itemsOf: 'memories',
    pin: (a, c) => ({
      ...a,
      memories: (Array.isArray(a.memories) ? a.memories : []).map((m: unknown) => {
        const memory = isRecord(m) ? m : {};
        return {
          ...memory,
          user_id: c.userId,
          namespace: c.namespace,
          session_id: c.sessionId,
          ...(c.appTopic ? { topics: c.topicsOf(memory.topics) } : {}),
        };
      }),
    }),
  },
  set_working_memory: {
    hide: ['user_id', 'namespace', 'session_id'],
    pin: (a, c) => ({ ...a, user_id: c.userId, namespace: c.namespace, session_id: c.sessionId }),
  },
  get_working_memory: {
    hide: ['user_id', 'namespace', 'session_id'],
    pin: (a, c) => ({ ...a, user_id: c.userId, namespace: c.namespace, session_id: c.sessionId }),
  },
  // By id: the server does not filter these by user, so the toolset checks ownership first.
  get_long_term_memory: { hide: [], pin: (a) => a },
  edit_long_term_memory: {
    hide: ['user_id', 'namespace', 'session_id'],
    pin: ({ user_id: _u, namespace: _n, session_id: _s, ...a }, c) =>
      // New topics keep the app's own.
      c.appTopic && Array.isArray(a.topics) ? { ...a, topics: c.topicsOf(a.topics) } : a,
  },
  delete_long_term_memories: { hide: [], pin: (a) => a },
  compact_long_term_memories: {
    hide: ['user_id', 'namespace', 'session_id'],
    pin: ({ session_id: _s, ...a }, c) => ({ ...a, user_id: c.userId, namespace: c.namespace }),
  },
};

/**
 * A search's topics filter with the app's topic required too, where apps share the namespace. The
 * server takes one condition per filter: an `eq` or `all` of the model's is kept beside the app's;
 * an `any`, `ne` or `startswith` of the model's gives way to it (the app's scope comes first).
 */
function topicsWithApp(topics: unknown, c: Caller): { topics?: unknown } {
  if (!c.appTopic) return topics === undefined ? {} : { topics };
  const f = isRecord(topics) ? topics : {};
  const given = typeof f.eq === 'string' ? [f.eq] : Array.isArray(f.all) ? f.all.filter((t): t is string => typeof t === 'string') : [];
  return { topics: given.length ? { all: [...given, c.appTopic] } : { eq: c.appTopic } };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The schema without the named properties (also out of `required`). */
function withoutProperties(schema: Schema | undefined, names: string[]): Schema | undefined {
  if (!schema?.properties) return schema;
  const properties = Object.fromEntries(Object.entries(schema.properties).filter(([k]) => !names.includes(k)));
  return { ...schema, properties, ...(schema.required ? { required: schema.required.filter((k) => !names.includes(k)) } : {}) };
}

/** The text a tool result carries, parsed as JSON when it is JSON. */
function resultValue(result: unknown): unknown {
  const content = isRecord(result) && Array.isArray(result.content) ? result.content : [];
  const first = content.find((c: unknown) => isRecord(c) && c.type === 'text') as { text?: string } | undefined;
  if (!first?.text) return undefined;
  try {
    return JSON.parse(first.text);
  } catch {
    return first.text;
  }
}

const toolError = (text: string) => ({ content: [{ type: 'text', text }], isError: true });

/** One of the server's tools, with the caller's identity hidden from the model and always sent. */
class PinnedMcpTool extends BaseTool {
  constructor(
    private readonly inner: BaseTool,
    private readonly rule: (typeof PINNING)[AgentMemoryMcpToolName],
    private readonly caller: (ctx: Context) => Caller,
    /** Each id's `get_long_term_memory` result when the memory is the caller's; absent otherwise. */
    private readonly lookup: (ids: string[], request: RunAsyncToolRequest) => Promise<Map<string, unknown>>,
  ) {
    super({ name: inner.name, description: inner.description });
  }

  override _getDeclaration(): FunctionDeclaration | undefined {
    const declaration = this.inner._getDeclaration();
    if (!declaration) return declaration;
    // From the tool's own JSON Schema, its `$ref`s resolved (ADK's conversion leaves them empty).
    const raw = (this.inner as unknown as { mcpTool?: { inputSchema?: unknown } }).mcpTool?.inputSchema;
    let parameters = withoutProperties(toolParameters(raw) ?? declaration.parameters, this.rule.itemsOf ? [] : this.rule.hide);
    const list = this.rule.itemsOf ? parameters?.properties?.[this.rule.itemsOf] : undefined;
    if (parameters && list?.items) {
      parameters = {
        ...parameters,
        properties: { ...parameters.properties, [this.rule.itemsOf!]: { ...list, items: withoutProperties(list.items, this.rule.hide) } },
      };
    }
    return { ...declaration, ...(parameters ? { parameters } : {}) };
  }

  override async runAsync(request: RunAsyncToolRequest): Promise<unknown> {
    const args = this.rule.pin(isRecord(request.args) ? request.args : {}, this.caller(request.toolContext));
    if (this.name === 'get_long_term_memory' || this.name === 'edit_long_term_memory') {
      const id = textOf(args.memory_id);
      const found = (await this.lookup([id], request)).get(id);
      if (found === undefined) return toolError(`Memory ${id} not found`);
      // The ownership check already read it: no second round trip.
      if (this.name === 'get_long_term_memory') return found;
    }
    if (this.name === 'delete_long_term_memories') {
      const ids = Array.isArray(args.memory_ids) ? args.memory_ids.map(String) : [];
      const owned = await this.lookup(ids, request);
      const mine = ids.filter((id) => owned.has(id));
      const missing = ids.filter((id) => !owned.has(id));
      if (!mine.length) return toolError(`Memories not found: ${missing.join(', ')}`);
      const result = await this.inner.runAsync({ ...request, args: { ...args, memory_ids: mine } });
      return missing.length ? { ...(isRecord(result) ? result : {}), notFound: missing } : result;
    }
    const result = await this.inner.runAsync({ ...request, args });
    return this.name === 'search_long_term_memory' || this.name === 'memory_prompt' ? onlyCallers(result, this.caller(request.toolContext)) : result;
  }
}

/**
 * A search's or memory prompt's result with only the caller's memories: the server drops a search's
 * namespace and topic filters when they find nothing (its soft-filter fallback), so what it returns
 * is checked again here, as the memory service checks it, in the text and in the structured
 * content alike. A prompt's memories block is rebuilt from the memories that pass.
 */
function onlyCallers(result: unknown, me: Caller): unknown {
  const value = resultValue(result);
  if (!isRecord(value) || !isRecord(result) || !Array.isArray(result.content)) return result;
  const mine = (list: unknown[]) => list.filter((m): m is Record<string, unknown> => isRecord(m) && me.owns(m));
  let next: Record<string, unknown> | undefined;
  if (Array.isArray(value.memories)) {
    const memories = mine(value.memories);
    next = { ...value, memories, ...(typeof value.total === 'number' ? { total: value.total - (value.memories.length - memories.length) } : {}) };
  } else if (Array.isArray(value.messages) && Array.isArray(value.long_term_memories)) {
    const kept = mine(value.long_term_memories);
    const block = memoriesMessage(kept.map((m) => ({ id: textOf(m.id), text: textOf(m.text) })));
    const messages = value.messages.map((m: unknown) =>
      isRecord(m) && isRecord(m.content) && typeof m.content.text === 'string' && m.content.text.startsWith(MEMORIES_HEADING)
        ? { ...m, content: block.content }
        : m,
    );
    next = { ...value, messages, long_term_memories: kept };
  }
  // The real server also sends the result as `structuredContent`, which reaches the model too.
  return next
    ? { ...result, content: [{ type: 'text', text: JSON.stringify(next) }], ...(isRecord(result.structuredContent) ? { structuredContent: next } : {}) }
    : result;
}

/**
 * An ADK toolset over Agent Memory Server's own MCP tools (streamable HTTP at `/{namespace}/mcp`)
 * that never lets the model choose whose memories it touches: `user_id`, `namespace` and
 * `session_id` are removed from the tools' parameters, and every call carries the calling
 * session's user, namespace (`defaultNamespace` ?? app name) and session id. Memories addressed by
 * id are checked to belong to that user and namespace before they are read, edited or deleted.
 */
export class AgentMemoryMcpToolset extends BaseToolset {
  private readonly toolsets = new Map<string, MCPToolset>();
  private readonly include: Set<string>;

  constructor(private readonly options: AgentMemoryMcpToolsetOptions) {
    super([]);
    const url: unknown = untrusted(options)?.url;
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) {
      throw new ConfigurationError('url', 'must be the http(s) URL of the Agent Memory Server MCP app', 'createAgentMemoryMcpToolset');
    }
    const unknown = (options.include ?? []).filter((n) => !(n in PINNING));
    if (unknown.length) {
      throw new ConfigurationError('include', `unknown tools ${unknown.join(', ')}; known: ${Object.keys(PINNING).join(', ')}`, 'createAgentMemoryMcpToolset');
    }
    this.include = new Set(options.include ?? DEFAULT_MCP_TOOLS);
  }

  private namespaceOf(appName: string | undefined): string {
    const ns = this.options.defaultNamespace ?? appName;
    if (!ns)
      throw new ConfigurationError(
        'defaultNamespace',
        'is required when the toolset is used outside an agent (there is no app name to use)',
        'AgentMemoryMcpToolset',
      );
    return ns;
  }

  private toolsetFor(namespace: string): MCPToolset {
    let toolset = this.toolsets.get(namespace);
    if (!toolset) {
      const headers: Record<string, string> = this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {};
      toolset = new MCPToolset({
        type: 'StreamableHTTPConnectionParams',
        url: `${this.options.url.replace(/\/+$/, '')}/${encodeURIComponent(namespace)}/mcp`,
        transportOptions: { requestInit: { headers } },
      });
      this.toolsets.set(namespace, toolset);
    }
    return toolset;
  }

  override async getTools(context?: ReadonlyContext): Promise<BaseTool[]> {
    const namespace = this.namespaceOf(context?.invocationContext.appName);
    const all = await this.toolsetFor(namespace).getTools(context);
    const byName = new Map(all.map((t) => [t.name, t]));
    // The ids the session service gives the session's working memory on the server.
    const caller = (ctx: Context): Caller => {
      const scope: MemoryScope = {
        namespace: this.namespaceOf(ctx.invocationContext.appName),
        appName: ctx.invocationContext.appName,
        userId: ctx.userId,
        kind: this.options.memoryScope ?? 'app',
      };
      const userId = amsTagValue(ctx.userId);
      const namespace = amsTagValue(scope.namespace);
      const strings = (topics: unknown) => (Array.isArray(topics) ? topics.filter((t): t is string => typeof t === 'string') : []);
      return {
        userId,
        namespace,
        appTopic: scopeTopic(scope),
        owns: (record) => record.user_id === userId && record.namespace === namespace && inAppScope(scope, strings(record.topics)),
        topicsOf: (topics) => writtenTopics(scope, visibleTopics(strings(topics))),
        sessionId: workingMemoryIdOf(ctx.invocationContext.session) ?? amsSessionId(ctx.invocationContext.session.id),
      };
    };
    const lookup = async (ids: string[], request: RunAsyncToolRequest): Promise<Map<string, unknown>> => {
      const get = byName.get('get_long_term_memory');
      const me = caller(request.toolContext);
      const owned = new Map<string, unknown>();
      await Promise.all(
        ids.map(async (id) => {
          const result = get ? await get.runAsync({ ...request, args: { memory_id: id } }) : undefined;
          const record = resultValue(result);
          if (isRecord(record) && me.owns(record)) owned.set(id, result);
        }),
      );
      return owned;
    };
    return all
      .filter((t) => this.include.has(t.name) && t.name in PINNING)
      .map((t) => new PinnedMcpTool(t, PINNING[t.name as AgentMemoryMcpToolName], caller, lookup));
  }

  override async close(): Promise<void> {
    await Promise.all([...this.toolsets.values()].map((t) => t.close()));
    this.toolsets.clear();
  }
}

/** Creates the toolset; see AgentMemoryMcpToolset. */
export function createAgentMemoryMcpToolset(options: AgentMemoryMcpToolsetOptions): AgentMemoryMcpToolset {
  return new AgentMemoryMcpToolset(options);
}
