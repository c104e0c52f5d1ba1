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
import { AuthConfigError, singleUserAuthenticator, tokensFileAuthenticator, trustedHeaderAuthenticator, type Authenticator } from './auth.js';
import { createMemoryMcpServer } from './server.js';

const USAGE = `usage: adk-redis-mcp --backend <${BACKENDS.join('|')}> --url <api base url> [--user <id>] [--app <name>]
                     [--namespace <ns>] [--store-id <id>] [--api-key <key>]
                     [--http <port> (--tokens <file> | --user <id> | --trust-user-header <name>)]

  --user       the user every call acts for; required with stdio. With --http, requests must
               carry Authorization: Bearer <ADK_REDIS_MCP_TOKEN>. Never taken from a tool argument.
  --app        the ADK app name whose sessions and memories are used (default: adk-redis-mcp)
  --api-key    or AGENT_MEMORY_API_KEY; --store-id or AGENT_MEMORY_STORE_ID (Redis Agent Memory)
  --http       serve streamable HTTP on this port (127.0.0.1) instead of stdio; every request
               must prove its user with one of:
  --tokens     a JSON file {"<bearer token>": "<user id>"}: each token acts as its own user
               (read again when it changes)
  --trust-user-header
               take the user from this header, unchecked: only behind a proxy that
               authenticates callers and sets it`;

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
        tokens: { type: 'string' },
        'trust-user-header': { type: 'string' },
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
if (port === undefined && (args.tokens !== undefined || args['trust-user-header'] !== undefined)) fail('--tokens and --trust-user-header apply to --http only');

/** Over HTTP: how each request proves its user (exactly one way). */
function authenticator(): Authenticator {
  const given = [
    args.tokens !== undefined && '--tokens',
    args.user !== undefined && '--user',
    args['trust-user-header'] !== undefined && '--trust-user-header',
  ].filter(Boolean);
  if (given.length === 0) {
    fail(
      '--http needs a way to check who calls: --tokens <file> (bearer token to user id), --user <id> with a bearer token in ADK_REDIS_MCP_TOKEN, or --trust-user-header <name> behind an authenticating proxy',
    );
  }
  if (given.length > 1) fail(`--http takes one of --tokens, --user, --trust-user-header, not ${given.join(' and ')}`);
  try {
    if (args.tokens !== undefined) return tokensFileAuthenticator(args.tokens, (line) => process.stderr.write(`${line}\n`));
    if (args.user !== undefined) return singleUserAuthenticator(args.user, process.env.ADK_REDIS_MCP_TOKEN);
    return trustedHeaderAuthenticator(args['trust-user-header']!);
  } catch (e) {
    if (e instanceof AuthConfigError) fail(e.message);
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') fail(`--tokens ${args.tokens}: no such file`);
    throw e;
  }
}
const auth = port === undefined ? undefined : authenticator();

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

const build = (userId: string) => createMemoryMcpServer({ sessionService, memoryService, appName: args.app, userOf: () => userId });

if (port === undefined || auth === undefined) {
  await build(args.user!).connect(new StdioServerTransport());
} else {
  if (auth.warning) process.stderr.write(`adk-redis-mcp: warning: ${auth.warning}\n`);
  const serve = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    // Checked before anything else: an unauthenticated request learns nothing and runs nothing.
    const who = auth.authenticate(req.headers);
    if ('refused' in who) {
      res
        .writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="adk-redis-mcp"' })
        .end(JSON.stringify({ error: 'unauthorized', detail: who.refused }));
      return;
    }
    if (new URL(req.url ?? '/', 'http://mcp').pathname !== '/mcp') {
      res.writeHead(404).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    // Stateless: a server and transport per request, so each request's user stands alone.
    const mcp = build(who.userId);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  };
  // A request whose handling fails gets a 500; it never becomes an unhandled rejection, which would end the server.
  const server = http.createServer((req, res) => {
    serve(req, res).catch((e: unknown) => {
      process.stderr.write(`adk-redis-mcp: request failed: ${e instanceof Error ? e.message : String(e)}\n`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'internal error' }));
    });
  });
  server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    process.stderr.write(`adk-redis-mcp: streamable HTTP at http://127.0.0.1:${bound}/mcp; callers: ${auth.description}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
