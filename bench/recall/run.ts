/**
 * `npm run bench -- --recall [--dataset FILE]`: how well memory search finds the turns that answer a
 * question, on the real Agent Memory Server with a real embedding model (all-MiniLM-L6-v2, local).
 *
 * Each conversation is loaded as ADK sessions through RedisSessionMemoryService, one user per
 * conversation, then put into memory with addSessionToMemory; each question goes to searchMemory.
 * Rows: this package in every search mode (its default, fused, and the server's single modes it can
 * send), ADK's InMemoryMemoryService on the same sessions, the package's default and semantic
 * searches again on a server with an exact vector index (the server's default, HNSW, is
 * approximate), and the Python adk-redis on a server of its own (its long-term records are what the
 * server's extraction writes). A measurement script: it asserts nothing.
 */
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { createEvent, InMemoryMemoryService, type Event, type Session } from '@google/adk';
import { createAgentMemoryServerClient } from '../../src/clients/agent-memory-server.js';
import { RedisLongTermMemoryService } from '../../src/services/memory-service.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { startRealAgentMemoryServer, type RealAgentMemoryServer } from '../../src/testing/index.js';
import { ensureInteropEnvironment, interopVersions, startPythonDriver } from '../../test/helpers/python-interop.js';
import { datasetSchema, type RecallDataset } from './dataset.js';

const APP = 'recall';
/** The system of the rows measured on an exact vector index. */
const EXACT_INDEX = 'adk-redis, exact vector index';
const K = 10;
/** The package's records only: the server's extraction and compaction off (see `recallBench`). */
const PACKAGE_RECORDS_ONLY = { ENABLE_DISCRETE_MEMORY_EXTRACTION: 'false', COMPACT_SEMANTIC_DUPLICATES: 'false' };
/** The package's modes, its default first. */
const MODES: { label: string; options: { searchMode?: 'fused' | 'semantic' | 'keyword' | 'hybrid' } }[] = [
  { label: 'fused (default)', options: {} },
  { label: 'semantic', options: { searchMode: 'semantic' } },
  { label: 'keyword', options: { searchMode: 'keyword' } },
  { label: 'hybrid', options: { searchMode: 'hybrid' } },
];

export interface RecallRow {
  system: string;
  mode: string;
  category: string;
  questions: number;
  recallAt5: number;
  recallAt10: number;
  mrrAt10: number;
  /** Share of questions with at least one answer turn in the top 5. */
  hitAt5: number;
}
export interface RecallLatency {
  system: string;
  mode: string;
  /** The server's API processes the searches met: 1, or 2 behind a round-robin balancer. */
  apiProcesses: number;
  p50Ms: number;
  p95Ms: number;
}
export interface RecallRun {
  dataset: { name: string; file: string; conversations: number; sessions: number; turns: number; questions: Record<string, number> };
  server: Record<string, unknown>;
  load: { turns: number; addSessionToMemorySeconds: number; turnsPerSecond: number };
  rows: RecallRow[];
  latency: RecallLatency[];
  python?: { versions: Record<string, string>; records: number; note: string };
  exactIndex?: { setting: string; note: string };
}

/** The ranked answer of one system to one question: the texts it returned, best first. */
type Ranked = { question: RecallDataset['conversations'][number]['questions'][number]; texts: string[]; ms: number };

export async function recallBench(log: (line: string) => void, datasetFile: string): Promise<RecallRun> {
  const dataset = datasetSchema.parse(JSON.parse(await readFile(datasetFile, 'utf8')));
  const turns = dataset.conversations.flatMap((c) => c.sessions.flatMap((s) => s.turns));
  const textToTurn = turnIndex(dataset);
  const questions = dataset.conversations.flatMap((c) => c.questions);
  log(`dataset ${dataset.name}: ${dataset.conversations.length} conversations, ${turns.length} turns, ${questions.length} questions`);

  const rows: RecallRow[] = [];
  const latency: RecallLatency[] = [];
  const timed = (system: string, mode: string, answers: Ranked[], apiProcesses: number) => {
    const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
    latency.push({ system, mode, apiProcesses, p50Ms: quantile(ms, 0.5), p95Ms: quantile(ms, 0.95) });
  };
  const record = (system: string, mode: string, answers: Ranked[]) => {
    rows.push(...score(system, mode, answers, textToTurn));
    timed(system, mode, answers, 1);
  };

  // The package's own records only: the server's LLM extraction (here a stand-in that copies what
  // the user says) would add records of its own to every search, and its compaction (every 10
  // minutes) would merge near neighbours into new records in the middle of a long run, so that the
  // modes searched after it find other records than those before it. Two API processes: the
  // searches that score recall all go to the first, as to a server of one process; then each mode
  // is timed again through the balancer, as a deployment of two serves it. Same data, same run.
  const server = await startRealAgentMemoryServer({
    embeddings: 'local',
    apiProcesses: 2,
    settings: PACKAGE_RECORDS_ONLY,
    log,
  });
  let run: Omit<RecallRun, 'python'>;
  try {
    const connection = { backend: 'opensource-agent-memory' as const, apiBaseUrl: server.urls[0]! };
    const inMemory = new InMemoryMemoryService();
    const { stored, seconds } = await loadThroughPackage(dataset, server, connection.apiBaseUrl, log);
    for (const { session } of stored) await inMemory.addSessionToMemory(session);
    log(`addSessionToMemory: ${turns.length} turns in ${seconds.toFixed(1)} s`);

    /** A service searching in one of the package's modes against one server URL, warmed up (its first question's time is not the connection's). */
    const serviceIn = async (options: (typeof MODES)[number]['options'], apiBaseUrl: string) => {
      const service = new RedisLongTermMemoryService({ ...connection, apiBaseUrl, ...options, searchTopK: K });
      await service.searchMemory({ appName: APP, userId: dataset.conversations[0]!.id, query: 'warm up' });
      return (userId: string, query: string) => service.searchMemory({ appName: APP, userId, query });
    };
    for (const { label: mode, options } of MODES) {
      const scored = score('adk-redis', mode, await ask(dataset, await serviceIn(options, connection.apiBaseUrl)), textToTurn);
      rows.push(...scored);
      const all = scored.find((r) => r.category === 'all')!;
      log(`searched in ${mode} mode: recall@10 ${all.recallAt10.toFixed(3)}, hit@5 ${all.hitAt5.toFixed(3)}`);
    }
    // Timed side by side: each question in every mode in turn (the first mode rotating), so every
    // mode meets the same server, whatever work it is doing in the background (indexing, the
    // last-access updates each search schedules).
    for (const [apiProcesses, url] of [
      [1, connection.apiBaseUrl],
      [2, server.url],
    ] as const) {
      const searches = await Promise.all(MODES.map(({ options }) => serviceIn(options, url)));
      const answers = await askInTurn(dataset, searches);
      MODES.forEach(({ label }, i) => timed('adk-redis', label, answers[i]!, apiProcesses));
      log(`timed every mode side by side with ${apiProcesses} API process${apiProcesses > 1 ? 'es' : ''}`);
    }
    record('ADK InMemoryMemoryService', 'keyword match', await ask(dataset, (userId, query) => inMemory.searchMemory({ appName: APP, userId, query })));
    run = {
      dataset: {
        name: dataset.name,
        file: datasetFile,
        conversations: dataset.conversations.length,
        sessions: stored.length,
        turns: turns.length,
        questions: Object.fromEntries([...new Set(questions.map((q) => q.category))].map((k) => [k, questions.filter((q) => q.category === k).length])),
      },
      server: { ...server.versions },
      load: { turns: turns.length, addSessionToMemorySeconds: seconds, turnsPerSecond: turns.length / seconds },
      rows,
      latency,
    };
  } finally {
    await server.close();
  }
  return { ...run, ...(await exactIndexRow(dataset, log, record)), ...(await pythonRow(dataset, log, record)) };
}

/**
 * Each conversation as ADK sessions through RedisSessionMemoryService, then into memory with
 * addSessionToMemory (timed until the server has indexed every record).
 */
async function loadThroughPackage(
  dataset: RecallDataset,
  server: RealAgentMemoryServer,
  apiBaseUrl: string,
  log: (line: string) => void,
): Promise<{ stored: { userId: string; session: Session }[]; seconds: number }> {
  const connection = { backend: 'opensource-agent-memory' as const, apiBaseUrl };
  const sessions = new RedisSessionMemoryService(connection);
  const memory = new RedisLongTermMemoryService(connection);
  const stored: { userId: string; session: Session }[] = [];
  for (const c of dataset.conversations) {
    for (const s of c.sessions) {
      let session = await sessions.createSession({ appName: APP, userId: c.id, sessionId: s.id });
      for (const event of eventsOf(c, s)) await sessions.appendEvent({ session, event });
      session = (await sessions.getSession({ appName: APP, userId: c.id, sessionId: s.id }))!;
      stored.push({ userId: c.id, session });
    }
    log(`loaded ${c.id} (${c.sessions.length} sessions)`);
  }
  const t0 = performance.now();
  for (const { session } of stored) await memory.addSessionToMemory(session);
  // The server indexes records in its task worker after answering: searchable once that work is
  // done (the API processes being idle is not enough: the queue can lag minutes behind).
  await server.runBackgroundTasks();
  return { stored, seconds: (performance.now() - t0) / 1000 };
}

/**
 * The package's default and semantic searches again, on a server whose vector index is exact
 * (`REDISVL_INDEXING_ALGORITHM=FLAT`) where the server's default is HNSW, an approximate index: the
 * same data and searches, so the difference is what the approximate index loses of one user's
 * nearest records among all users' records. A deployment setting, not the package's.
 */
async function exactIndexRow(
  dataset: RecallDataset,
  log: (line: string) => void,
  record: (system: string, mode: string, answers: Ranked[]) => void,
): Promise<Pick<RecallRun, 'exactIndex'>> {
  const server = await startRealAgentMemoryServer({
    embeddings: 'local',
    settings: { ...PACKAGE_RECORDS_ONLY, REDISVL_INDEXING_ALGORITHM: 'FLAT' },
    log,
  });
  try {
    await loadThroughPackage(dataset, server, server.url, log);
    for (const { label, options } of MODES.filter((m) => m.options.searchMode === undefined || m.options.searchMode === 'semantic')) {
      const service = new RedisLongTermMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url, ...options, searchTopK: K });
      record(EXACT_INDEX, label, await ask(dataset, (userId, query) => service.searchMemory({ appName: APP, userId, query })));
      log(`searched in ${label} mode on the exact (FLAT) vector index`);
    }
    return {
      exactIndex: {
        setting: 'REDISVL_INDEXING_ALGORITHM=FLAT',
        note: 'the same loading and searches on a server whose vector index is exact; every other row uses the server default, HNSW',
      },
    };
  } finally {
    await server.close();
  }
}

/**
 * The Python adk-redis 0.0.10 on a server of its own, with the server's extraction on as it needs:
 * its add_session_to_memory writes the working memory only, and its long-term records are what the
 * server's LLM extracts from it. The stand-in model copies each user statement verbatim, which a
 * real LLM would at best paraphrase: the row is an upper bound of what extraction can find, and the
 * agent's turns are never extracted.
 */
async function pythonRow(
  dataset: RecallDataset,
  log: (line: string) => void,
  record: (system: string, mode: string, answers: Ranked[]) => void,
): Promise<Pick<RecallRun, 'python'>> {
  const py = await startPythonDriver(await ensureInteropEnvironment(log));
  let server: RealAgentMemoryServer | undefined;
  try {
    server = await startRealAgentMemoryServer({ embeddings: 'local', backgroundTasks: 'manual', log });
    const base = { backend: 'opensource-agent-memory', url: server.url, app: APP };
    for (const c of dataset.conversations) {
      await py.call('recall_load', {
        ...base,
        user: c.id,
        sessions: c.sessions.map((s) => ({
          id: s.id,
          events: eventsOf(c, s).map((e) => ({
            id: e.id,
            author: e.author,
            role: e.content!.role,
            text: e.content!.parts![0]!.text,
            timestamp: e.timestamp / 1000,
          })),
        })),
      });
      log(`Python adk-redis loaded ${c.id}`);
    }
    // Promotion and extraction of every working memory, then the records' indexing.
    await server.runBackgroundTasks();
    await server.settled();
    const answers = await ask(dataset, async (userId, query) => {
      const texts = await py.call<string[]>('search_memory', { ...base, user: userId, query });
      return { memories: texts.map((text) => ({ content: { parts: [{ text }] } })) };
    });
    record('Python adk-redis', 'semantic', answers);
    const client = createAgentMemoryServerClient({ apiBaseUrl: server.url });
    let records = 0;
    for (const c of dataset.conversations)
      for (let offset = 0; ; offset += 100) {
        const page = await client.searchLongTermMemory({ user_id: { eq: c.id }, limit: 100, offset, recency_boost: false });
        records += page.memories.length;
        if (page.memories.length < 100) break;
      }
    return {
      python: {
        versions: interopVersions(),
        records,
        note: 'add_session_to_memory writes the working memory only; the long-term records are the server extraction’s, here the stand-in model’s verbatim copy of each user statement',
      },
    };
  } finally {
    await server?.close();
    await py.close();
  }
}

/**
 * The ADK events of a session, a minute apart: the first speaker is the user (author `user`, as ADK
 * writes a user's message), the second an agent named after the speaker.
 */
function eventsOf(c: RecallDataset['conversations'][number], s: RecallDataset['conversations'][number]['sessions'][number]): Event[] {
  const start = Date.parse(s.date);
  return s.turns.map((t, i) =>
    createEvent({
      id: t.id,
      invocationId: `${s.id}-${i}`,
      author: t.speaker === c.speakers[0] ? 'user' : t.speaker,
      timestamp: start + i * 60_000,
      content: { role: t.speaker === c.speakers[0] ? 'user' : 'model', parts: [{ text: t.text }] },
    }),
  );
}

/** Every question of every conversation asked of each search in turn (the first rotating); each search's answers. */
async function askInTurn(dataset: RecallDataset, searches: Search[]): Promise<Ranked[][]> {
  const out: Ranked[][] = searches.map(() => []);
  let n = 0;
  for (const c of dataset.conversations)
    for (const question of c.questions) {
      const first = n++ % searches.length;
      for (let k = 0; k < searches.length; k++) {
        const i = (first + k) % searches.length;
        out[i]!.push(await askOne(c.id, question, searches[i]!));
      }
    }
  return out;
}

type Search = (userId: string, query: string) => Promise<{ memories: { content: { parts?: { text?: string }[] } }[] }>;

async function askOne(conversation: string, question: Ranked['question'], search: Search): Promise<Ranked> {
  const t = performance.now();
  const { memories } = await search(conversation, question.question);
  const ms = performance.now() - t;
  return { question, ms, texts: memories.slice(0, K).map((m) => `${conversation}\u0000${(m.content.parts ?? []).map((p) => p.text ?? '').join('')}`) };
}

/** Every question of every conversation, asked as the conversation's user, one at a time. */
async function ask(dataset: RecallDataset, search: Search): Promise<Ranked[]> {
  const out: Ranked[] = [];
  for (const c of dataset.conversations) for (const question of c.questions) out.push(await askOne(c.id, question, search));
  return out;
}

/** A turn by its conversation and text (texts are unique within a conversation). */
function turnIndex(dataset: RecallDataset): Map<string, string> {
  const index = new Map<string, string>();
  for (const c of dataset.conversations)
    for (const s of c.sessions)
      for (const t of s.turns) {
        const key = `${c.id}\u0000${t.text}`;
        if (index.has(key))
          throw new Error(`dataset: two turns of ${c.id} say "${t.text}"; answers are matched by their text, which must be unique in a conversation`);
        index.set(key, t.id);
      }
  return index;
}

function score(system: string, mode: string, answers: Ranked[], textToTurn: Map<string, string>): RecallRow[] {
  const per = answers.map(({ question, texts }) => {
    const ranked = texts.map((t) => textToTurn.get(t));
    const want = new Set(question.answerTurns);
    const within = (k: number) => question.answerTurns.filter((id) => ranked.slice(0, k).includes(id)).length / want.size;
    const first = ranked.findIndex((id) => id !== undefined && want.has(id));
    return { category: question.category, r5: within(5), r10: within(10), mrr: first >= 0 ? 1 / (first + 1) : 0, hit5: first >= 0 && first < 5 ? 1 : 0 };
  });
  const categories = ['all', ...new Set(per.map((p) => p.category))];
  return categories.map((category) => {
    const of = category === 'all' ? per : per.filter((p) => p.category === category);
    const mean = (f: (p: (typeof per)[number]) => number) => of.reduce((s, p) => s + f(p), 0) / of.length;
    return {
      system,
      mode,
      category,
      questions: of.length,
      recallAt5: mean((p) => p.r5),
      recallAt10: mean((p) => p.r10),
      mrrAt10: mean((p) => p.mrr),
      hitAt5: mean((p) => p.hit5),
    };
  });
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : 0;
}

export function printRecall(run: RecallRun): void {
  console.log(
    `\n\nRecall on ${run.dataset.name}: ${run.dataset.conversations} conversations, ${run.dataset.turns} turns, questions ${JSON.stringify(run.dataset.questions)}; embeddings ${String(run.server.embeddings)}`,
  );
  console.log(
    `load: ${run.load.turns} turns into memory in ${run.load.addSessionToMemorySeconds.toFixed(1)} s (${run.load.turnsPerSecond.toFixed(0)} turns/s)`,
  );
  console.log('| system | mode | category | questions | recall@5 | recall@10 | MRR@10 | hit@5 |');
  console.log('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of run.rows)
    console.log(
      `| ${r.system} | ${r.mode} | ${r.category} | ${r.questions} | ${r.recallAt5.toFixed(3)} | ${r.recallAt10.toFixed(3)} | ${r.mrrAt10.toFixed(3)} | ${r.hitAt5.toFixed(3)} |`,
    );
  console.log('\n| system | mode | API processes | search p50 ms | search p95 ms | p95 / semantic p95 |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  for (const l of run.latency) {
    const semantic = run.latency.find((s) => s.system === 'adk-redis' && s.mode === 'semantic' && s.apiProcesses === l.apiProcesses);
    const ratio = l.system === 'adk-redis' && semantic ? (l.p95Ms / semantic.p95Ms).toFixed(2) : '';
    console.log(`| ${l.system} | ${l.mode} | ${l.apiProcesses} | ${l.p50Ms.toFixed(1)} | ${l.p95Ms.toFixed(1)} | ${ratio} |`);
  }
}
