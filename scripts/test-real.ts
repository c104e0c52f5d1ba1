// `npm run test:real`: installs the real Agent Memory Server once (python/real-agent-memory-server),
// then runs the real-server suites (vitest.real.config.ts) with ADK_REDIS_AMS=real. Where the server
// cannot run here (no Python 3.12, no package index, another platform) it says so in one line and
// exits 0, except under CI=true, where that is a failure.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ensureRealServerInstalled, RealServerUnavailableError } from '../src/testing/real-agent-memory-server/index.js';

const root = path.resolve(import.meta.dirname, '..');
try {
  await ensureRealServerInstalled({ log: (line) => process.stderr.write(`test:real: ${line}\n`) });
} catch (e) {
  if (!(e instanceof RealServerUnavailableError)) throw e;
  process.stderr.write(`test:real: not run: ${e.message}\n`);
  process.exit(process.env.CI === 'true' ? 1 : 0);
}
const vitest = spawnSync(path.join(root, 'node_modules', '.bin', 'vitest'), ['run', '--config', 'vitest.real.config.ts', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ADK_REDIS_AMS: 'real' },
});
process.exit(vitest.status ?? 1);
