import { createEvent, type BaseSessionService } from '@google/adk';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { AgentMemoryError } from '../clients/errors.js';
import type { RedisLongTermMemoryService } from '../services/memory-service.js';
import { conversationText } from '../codec/events.js';
import { MEMORY_OPERATIONS, type MemoryCaller } from '../tools/memory-operations.js';

/** Options of createMemoryMcpServer: the services behind its tools and whom they act for. */
export interface MemoryMcpServerOptions {
  sessionService: BaseSessionService;
  memoryService: RedisLongTermMemoryService;
  /** The ADK app whose sessions and memories the tools use. */
  appName: string;
  /**
   * The user every call acts for: from the server's configuration, or from the MCP request (for
   * example an HTTP header). Never a tool argument. Undefined: the call is refused.
   */
  userOf(request: { headers?: Record<string, string | string[] | undefined> }): string | undefined;
}

type ToolResult = { content: { type: 'text'; text: string }[]; isError?: boolean };
const ok = (value: unknown): ToolResult => ({ content: [{ type: 'text', text: JSON.stringify(value) }] });
const refused = (text: string): ToolResult => ({ content: [{ type: 'text', text }], isError: true });

const sessionId = z.string().min(1).describe('The conversation (session) id.');

/**
 * An MCP server offering this package's memory tools (the same operations as createMemoryTools)
 * and reading and writing conversations, over the session and memory services, so it works on
 * either backend. Which user a call acts for comes from `userOf`, never from the model.
 */
export function createMemoryMcpServer(options: MemoryMcpServerOptions): McpServer {
  const { sessionService, memoryService, appName } = options;
  const server = new McpServer({ name: 'adk-redis-mcp', version: '0.1.0' });

  /** Runs a tool for the request's user; failures become tool errors the client can show. */
  const forUser =
    <A>(work: (args: A, userId: string) => Promise<unknown>) =>
    async (args: A, extra: { requestInfo?: { headers?: Record<string, string | string[] | undefined> } }): Promise<ToolResult> => {
      const userId = options.userOf(extra.requestInfo ?? {});
      if (!userId) return refused('No user for this call: the server was started without one.');
      try {
        return ok(await work(args, userId));
      } catch (e) {
        if (e instanceof AgentMemoryError) return refused(`${e.name}: ${e.message}`);
        throw e;
      }
    };

  for (const op of MEMORY_OPERATIONS) {
    // memory_prompt takes the conversation explicitly here, as there is no calling session.
    const shape = op.name === 'memory_prompt' ? { ...op.parameters.shape, session_id: sessionId.optional() } : op.parameters.shape;
    server.registerTool(
      op.name,
      { description: op.description, inputSchema: shape },
      forUser(async (args: Record<string, unknown>, userId) => {
        const caller: MemoryCaller = { appName, userId };
        if (typeof args.session_id === 'string') {
          const session = await sessionService.getSession({ appName, userId, sessionId: args.session_id });
          if (session) caller.session = session;
        }
        const { session_id: _, ...rest } = args;
        return op.run(memoryService, op.parameters.parse(rest), caller);
      }),
    );
  }

  server.registerTool(
    'get_session',
    {
      description: "Reads one of the user's conversations: its messages in order (author, text, time) and its state.",
      inputSchema: { session_id: sessionId, recent: z.number().int().min(1).optional().describe('Only the last N events.') },
    },
    forUser(async ({ session_id, recent }: { session_id: string; recent?: number }, userId) => {
      const session = await sessionService.getSession({ appName, userId, sessionId: session_id, ...(recent ? { config: { numRecentEvents: recent } } : {}) });
      if (!session) return { found: false, session_id };
      return {
        found: true,
        session_id,
        state: session.state,
        lastUpdateTime: session.lastUpdateTime,
        messages: session.events.flatMap((e) => {
          const text = conversationText(e);
          return text === undefined ? [] : [{ id: e.id, author: e.author, text, timestamp: e.timestamp }];
        }),
      };
    }),
  );

  server.registerTool(
    'list_sessions',
    { description: "Lists the user's conversations (ids and last update times).", inputSchema: {} },
    forUser(async (_args: Record<string, never>, userId) => {
      const { sessions } = await sessionService.listSessions({ appName, userId });
      return { sessions: sessions.map((s) => ({ session_id: s.id, lastUpdateTime: s.lastUpdateTime })) };
    }),
  );

  server.registerTool(
    'add_session_message',
    {
      description: "Adds a message to one of the user's conversations, creating the conversation if it does not exist.",
      inputSchema: {
        session_id: sessionId,
        role: z.enum(['user', 'assistant']).describe('Who said it.'),
        text: z.string().min(1).describe('The message.'),
      },
    },
    forUser(async ({ session_id, role, text }: { session_id: string; role: 'user' | 'assistant'; text: string }, userId) => {
      const session =
        (await sessionService.getSession({ appName, userId, sessionId: session_id, config: { numRecentEvents: 1 } })) ??
        (await sessionService.createSession({ appName, userId, sessionId: session_id }));
      const event = createEvent({
        invocationId: `mcp-${Date.now()}`,
        author: role === 'user' ? 'user' : appName,
        content: { role: role === 'user' ? 'user' : 'model', parts: [{ text }] },
      });
      await sessionService.appendEvent({ session, event });
      return { stored: true, session_id, event_id: event.id };
    }),
  );
  return server;
}
