// npm run web — the ADK dev web UI (from @google/adk-devtools) with the fitness coach, its
// sessions in RedisSessionMemoryService and its memories in RedisLongTermMemoryService.
// Uses AGENT_MEMORY_URL (and friends) when set, else an embedded reference server.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdkApiServer } from '@google/adk-devtools';
import { RedisLongTermMemoryService } from '../../src/services/memory-service.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { exampleBackend } from './backend.js';

export async function startWeb(port: number, host = '127.0.0.1') {
  const backend = await exampleBackend((l) => console.log(`• ${l}`));
  process.env.ADK_REDIS_CONFIG = JSON.stringify(backend.config);
  const server = new AdkApiServer({
    agentsDir: path.join(path.dirname(fileURLToPath(import.meta.url)), 'web-agents'),
    host,
    port,
    sessionService: new RedisSessionMemoryService(backend.config),
    memoryService: new RedisLongTermMemoryService(backend.config),
    serveDebugUI: true,
  });
  await server.start();
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
