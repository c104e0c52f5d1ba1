// `npm run test:interop`: installs (once) the real Agent Memory Server and the interop Python
// environment (python/interop), then runs the interop suite with ADK_REDIS_AMS=real. Where they
// cannot be installed here it says so in one line and exits 0, except under CI=true.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ensureRealServerInstalled, RealServerUnavailableError } from '../src/testing/real-agent-memory-server/index.js';
import { ensureInteropEnvironment } from '../test/helpers/python-interop.js';

const root = path.resolve(import.meta.dirname, '..');
const log = (line: string) => process.stderr.write(`test:interop: ${line}\n`);
try {
  await ensureRealServerInstalled({ log });
  await ensureInteropEnvironment(log);
} catch (e) {
  if (!(e instanceof RealServerUnavailableError)) throw e;
  log(`not run: ${e.message}`);
  process.exit(process.env.CI === 'true' ? 1 : 0);
}
const vitest = spawnSync(path.join(root, 'node_modules', '.bin', 'vitest'), ['run', '--config', 'vitest.interop.config.ts', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ADK_REDIS_AMS: 'real' },
});
process.exit(vitest.status ?? 1);
