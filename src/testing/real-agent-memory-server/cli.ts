#!/usr/bin/env node
/**
 * `npx adk-redis-ams` (the package's bin) and `npm run ams:real` (this repository): installs (once)
 * and starts the real Agent Memory Server v0.15.2 with its stand-in model, prints its URL, and
 * serves until interrupted.
 *
 *   npx adk-redis-ams [--port 8000] [--background-tasks auto|manual] [--mcp] [--api-key KEY] [--embeddings hashed|local]
 */
import path from 'node:path';
import { RealServerUnavailableError, startRealAgentMemoryServer } from './index.js';

/** Errors and progress are prefixed with the name the user typed: the bin's, else the npm script's. */
const NAME = path.basename(process.argv[1] ?? '') === 'adk-redis-ams' ? 'adk-redis-ams' : 'ams:real';

function fail(message: string): never {
  process.stderr.write(`${NAME}: ${message}\n`);
  process.exit(1);
}

const args = process.argv.slice(2);
const options: { port: number; backgroundTasks: 'auto' | 'manual'; mcp: boolean; apiKey?: string; embeddings: 'hashed' | 'local' } = {
  port: 8000,
  backgroundTasks: 'auto',
  mcp: false,
  embeddings: 'hashed',
};
for (let i = 0; i < args.length; i++) {
  const arg = args[i]!;
  const value = () => args[++i] ?? fail(`${arg} needs a value`);
  if (arg === '--port') {
    const port = Number(value());
    if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number (0 picks a free one), got ${args[i]}`);
    options.port = port;
  } else if (arg === '--background-tasks') {
    const mode = value();
    if (mode !== 'auto' && mode !== 'manual') fail(`--background-tasks must be auto or manual, got ${mode}`);
    options.backgroundTasks = mode;
  } else if (arg === '--mcp') options.mcp = true;
  else if (arg === '--api-key') options.apiKey = value();
  else if (arg === '--embeddings') {
    const kind = value();
    if (kind !== 'hashed' && kind !== 'local') fail(`--embeddings must be hashed or local, got ${kind}`);
    options.embeddings = kind;
  } else fail(`unknown option ${arg} (options: --port, --background-tasks, --mcp, --api-key, --embeddings)`);
}

try {
  const server = await startRealAgentMemoryServer({ ...options, log: (line) => process.stderr.write(`${NAME}: ${line}\n`) });
  const v = server.versions;
  process.stdout.write(`Agent Memory Server ${v.agentMemoryServer} at ${server.url}\n`);
  if (server.mcpUrl) process.stdout.write(`MCP (streamable HTTP) at ${server.mcpUrl}/mcp\n`);
  process.stdout.write(
    `Redis ${v.redis} (${Object.entries(v.modules)
      .map(([n, ver]) => `${n} ${ver}`)
      .join(
        ', ',
      )}) at ${server.redisUrl}; tokens counted with ${v.tiktoken ? 'tiktoken cl100k_base' : "the server's character estimate"}; embeddings ${v.embeddings === 'hashed' ? 'hashed words (stand-in)' : v.embeddings}; background tasks ${options.backgroundTasks}\n`,
  );
  process.stdout.write('Serving until interrupted (Ctrl-C).\n');
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (e) {
  if (e instanceof RealServerUnavailableError) fail(e.message);
  throw e;
}
