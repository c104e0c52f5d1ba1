#!/usr/bin/env node
// adk-redis-mcp: an MCP server offering the memory and conversation tools of adk-redis over
// either backend. stdio by default; `--http <port>` serves streamable HTTP at /mcp.
import http from 'node:http';
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ConfigurationError } from '../clients/errors.js';
import { RedisLongTermMemoryService } from '../services/memory-service.js';
import { RedisSessionMemoryService } from '../services/session-service.js';
import { BACKENDS, type BackendName } from '../services/config.js';
import { createMemoryMcpServer } from './server.js';

const USAGE = `usage: adk-redis-mcp --backend <${BACKENDS.join('|')}> --url <api base url> [--user <id>] [--app <name>]
                     [--namespace <ns>] [--store-id <id>] [--api-key <key>] [--http <port>]

  --user       the user every call acts for; required with stdio. Over HTTP, without --user each
               request names its user in the X-User-Id header. Never taken from a tool argument.
  --app        the ADK app name whose sessions and memories are used (default: adk-redis-mcp)
  --api-key    or AGENT_MEMORY_API_KEY; --store-id or AGENT_MEMORY_STORE_ID (Redis Agent Memory)
  --http       serve streamable HTTP on this port (127.0.0.1) instead of stdio`;

function fail(message: string): never {
  process.stderr.write(`adk-redis-mcp: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function options() {
  try {
    return parseArgs({
      options: {
        backend: { type: 'string' },
        url: { type: 'string' },
        user: { type: 'string' },
        app: { type: 'string', default: 'adk-redis-mcp' },
        namespace: { type: 'string' },
        'store-id': { type: 'string' },
        'api-key': { type: 'string' },
        http: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (e) {
    return fail((e as Error).message);
  }
}

const args = options();
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (!args.backend || !(BACKENDS as readonly string[]).includes(args.backend)) fail(`--backend must be one of ${BACKENDS.join(', ')}`);
if (!args.url) fail('--url is required (the backend API base URL)');
const port = args.http === undefined ? undefined : Number(args.http);
if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) fail('--http takes a port number (0 for any free port)');
if (port === undefined && !args.user) fail('--user is required with stdio (there is no request to name the user)');

const connection = {
  backend: args.backend as BackendName,
  apiBaseUrl: args.url,
  ...(args['api-key'] ? { apiKey: args['api-key'] } : {}),
  ...(args['store-id'] ? { storeId: args['store-id'] } : {}),
  ...(args.namespace ? { defaultNamespace: args.namespace } : {}),
};
let sessionService: RedisSessionMemoryService;
let memoryService: RedisLongTermMemoryService;
try {
  sessionService = new RedisSessionMemoryService(connection);
  memoryService = new RedisLongTermMemoryService(connection);
} catch (e) {
  if (e instanceof ConfigurationError) fail(e.message);
  throw e;
}

const fixedUser = args.user;
const userOf = (request: { headers?: Record<string, string | string[] | undefined> }): string | undefined => {
  if (fixedUser) return fixedUser;
  const header = request.headers?.['x-user-id'];
  const user = Array.isArray(header) ? header[0] : header;
  return user?.trim() || undefined;
};
const build = () => createMemoryMcpServer({ sessionService, memoryService, appName: args.app!, userOf });

if (port === undefined) {
  await build().connect(new StdioServerTransport());
} else {
  const server = http.createServer(async (req, res) => {
    if (new URL(req.url ?? '/', 'http://mcp').pathname !== '/mcp') {
      res.writeHead(404).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    // Stateless: a server and transport per request, so each request's user stands alone.
    const mcp = build();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  });
  server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    process.stderr.write(`adk-redis-mcp: streamable HTTP at http://127.0.0.1:${bound}/mcp\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
