// Runs a suite that needs the real Agent Memory Server (npm run test:real, npm run test:interop):
// installs what it needs first; where that cannot be done here (no Python 3.12, no package index,
// another platform) it says so in one line and exits 0, except under CI=true, where that fails.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { RealServerUnavailableError } from '../src/testing/real-agent-memory-server/index.js';

export async function runRealServerSuite(name: string, vitestConfig: string, install: (log: (line: string) => void) => Promise<unknown>): Promise<never> {
  const root = path.resolve(import.meta.dirname, '..');
  const log = (line: string) => process.stderr.write(`${name}: ${line}\n`);
  try {
    await install(log);
  } catch (e) {
    if (!(e instanceof RealServerUnavailableError)) throw e;
    log(`not run: ${e.message}`);
    process.exit(process.env.CI === 'true' ? 1 : 0);
  }
  const vitest = spawnSync(path.join(root, 'node_modules', '.bin', 'vitest'), ['run', '--config', vitestConfig, ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ADK_REDIS_AMS: 'real' },
  });
  process.exit(vitest.status ?? 1);
}
