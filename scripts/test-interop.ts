// `npm run test:interop`: installs (once) the real Agent Memory Server and the interop Python
// environment (python/interop), then runs the interop suite with ADK_REDIS_AMS=real. Where they
// cannot be installed here it says so in one line and exits 0, except under CI=true.
import { ensureRealServerInstalled } from '../src/testing/real-agent-memory-server/index.js';
import { ensureInteropEnvironment } from '../test/helpers/python-interop.js';
import { runRealServerSuite } from './real-suite.js';

await runRealServerSuite('test:interop', 'vitest.interop.config.ts', async (log) => {
  await ensureRealServerInstalled({ log });
  await ensureInteropEnvironment(log);
});
