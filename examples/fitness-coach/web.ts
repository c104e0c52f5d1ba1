// npm run web — `adk-redis web` (ADK's dev web UI from @google/adk-devtools) on the fitness coach's
// agents folder, its sessions and memories on Redis. Uses AGENT_MEMORY_URL (and friends) when set,
// else an embedded reference server. What it runs is what a user types:
//   npx adk-redis web examples/fitness-coach/web-agents --session_service_uri <uri>
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { uriOfBackend } from '../../src/cli/uris.js';
import { startDevServer } from '../../src/devtools/commands.js';
import { parseDevCommand, type DevServeCommand } from '../../src/devtools/flags.js';
import { exampleBackend } from './backend.js';

const AGENTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'web-agents');

export async function startWeb(port: number, host = '127.0.0.1') {
  const backend = await exampleBackend((l) => console.log(`• ${l}`));
  // The coach's memory tools open their own handle on the same backend (web-agents/fitness_coach).
  process.env.ADK_REDIS_CONFIG = JSON.stringify(backend.config);
  const args = ['web', AGENTS, '--host', host, '--port', String(port), '--session_service_uri', uriOfBackend(backend.config)];
  const env = { ...process.env, ...(backend.config.apiKey ? { AGENT_MEMORY_API_KEY: backend.config.apiKey } : {}) };
  const server = await startDevServer(parseDevCommand(args) as DevServeCommand, env);
  return {
    url: server.url,
    backend: backend.description,
    stop: async () => {
      await server.stop();
      await backend.close();
    },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const web = await startWeb(Number(process.env.PORT ?? 8000), process.env.HOST ?? '127.0.0.1');
  console.log(`ADK web UI: ${web.url} (data in ${web.backend}); Ctrl+C to stop`);
  const stop = () => void web.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
