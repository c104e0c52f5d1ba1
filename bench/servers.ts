// Started by bench.ts as a separate process, so the servers' work does not share the event loop
// with the client being measured. Prints one JSON line describing both servers, then serves until
// its stdin closes.
import { startReferenceServer } from '../src/testing/index.js';

// The backends' own background work runs only when asked (never, here): the bench measures the client.
const latencyMs = Number(process.argv[2] ?? 0);
const ram = await startReferenceServer({ backend: 'redis-agent-memory', backgroundTasks: 'manual', latencyMs });
const ams = await startReferenceServer({ backend: 'opensource-agent-memory', backgroundTasks: 'manual', latencyMs });
process.stdout.write(`${JSON.stringify({ ram: { url: ram.url, apiKey: ram.apiKey, storeId: ram.storeId }, ams: { url: ams.url } })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void Promise.all([ram.close(), ams.close()]).then(() => process.exit(0));
});
