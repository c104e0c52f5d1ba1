// Child process for the harness test: starts the real server, prints its process ids, and waits
// (the test then kills this process with SIGKILL, so no exit hook runs).
import { startRealAgentMemoryServer } from '../../src/testing/index.js';

const server = await startRealAgentMemoryServer();
const { api, taskWorkers, redis, harness } = server.parts();
process.stdout.write(`${JSON.stringify({ self: process.pid, pids: [...api, ...taskWorkers, redis, harness] })}\n`);
setInterval(() => undefined, 60_000);
