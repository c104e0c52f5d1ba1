// `npm run test:real`: installs the real Agent Memory Server once (python/real-agent-memory-server),
// then runs the real-server suites (vitest.real.config.ts) with ADK_REDIS_AMS=real. Where the server
// cannot run here (no Python 3.12, no package index, another platform) it says so in one line and
// exits 0, except under CI=true, where that is a failure.
import { ensureRealServerInstalled } from '../src/testing/real-agent-memory-server/index.js';
import { runRealServerSuite } from './real-suite.js';

await runRealServerSuite('test:real', 'vitest.real.config.ts', (log) => ensureRealServerInstalled({ log }));
