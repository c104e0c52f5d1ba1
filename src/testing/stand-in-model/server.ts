/**
 * An OpenAI-compatible endpoint on loopback for the real Agent Memory Server to call instead of
 * a hosted model: `/v1/embeddings` with deterministic hashed-word vectors (or passed on to a real
 * local model, `embeddingsUrl`), and
 * `/v1/chat/completions` answering the server's prompts as `answers.ts` decides. Nothing leaves
 * the machine and every answer is reproducible.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hashedEmbeddingOf } from '../embedding.js';
import { answer, usageOf, type PromptKind } from './answers.js';

/** The stand-in OpenAI-compatible model on loopback: embeddings and the answers the servers parse. */
export interface StandInModel {
  /** Base URL to give the server as `OPENAI_API_BASE` (ends in `/v1`). */
  url: string;
  /** How many chat completions of each kind were answered. */
  readonly calls: Readonly<Record<string, number>>;
  /**
   * Holds extraction requests (the calls the server makes between reading a working memory and
   * writing it back) until the returned function is called; `onHeld` runs when the first arrives.
   */
  hold(onHeld: () => void): () => void;
  /** How many extraction requests are being held now. */
  held(): number;
  /**
   * Answers the next `count` embedding requests with 500, as a hosted model that is down or over
   * its rate limit does. The server retries an embedding twice, so three failures in a row lose
   * the records of one indexing, after the server has answered their write with 200.
   */
  failEmbeddings(count: number): void;
  /** Stops the model and closes its connections. */
  close(): Promise<void>;
}

const EXTRACTION: ReadonlySet<PromptKind> = new Set(['discrete', 'summary', 'preferences', 'custom']);

interface ChatBody {
  model?: string;
  messages?: { role: string; content: unknown }[];
  response_format?: { type?: string };
}

interface EmbeddingBody {
  model?: string;
  input?: string | string[];
  dimensions?: number;
}

/**
 * Starts the stand-in model on a free loopback port; `dimensions` is the hashed embeddings' size
 * (1536, as text-embedding-3-small's). With `embeddingsUrl` (an OpenAI-compatible base URL), embedding
 * requests go there unchanged instead.
 */
export async function startStandInModel(options: { dimensions?: number; embeddingsUrl?: string } = {}): Promise<StandInModel> {
  const dimensions = options.dimensions ?? 1536;
  const calls: Record<string, number> = {};
  let held: { onHeld?: () => void; released: Promise<void>; count: number } | undefined;
  let embeddingFailures = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown) : {};
        const send = (status: number, payload: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(payload));
        };
        if (req.method === 'POST' && req.url?.endsWith('/embeddings') && embeddingFailures > 0) {
          embeddingFailures--;
          calls.failedEmbeddings = (calls.failedEmbeddings ?? 0) + 1;
          send(500, { error: { message: 'the stand-in model failed this embedding request, as asked (failEmbeddings)' } });
          return;
        }
        if (req.method === 'POST' && req.url?.endsWith('/embeddings') && options.embeddingsUrl) {
          calls.embeddings = (calls.embeddings ?? 0) + 1;
          const passed = await fetch(`${options.embeddingsUrl}/embeddings`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          send(passed.status, await passed.json());
          return;
        }
        if (req.method === 'POST' && req.url?.endsWith('/embeddings')) {
          const b = body as EmbeddingBody;
          const input = Array.isArray(b.input) ? b.input : [b.input ?? ''];
          const embed = hashedEmbeddingOf(b.dimensions ?? dimensions);
          calls.embeddings = (calls.embeddings ?? 0) + 1;
          send(200, {
            object: 'list',
            model: b.model ?? 'stand-in',
            data: input.map((text, index) => ({ object: 'embedding', index, embedding: unit(embed(String(text))) })),
            usage: { prompt_tokens: input.length, total_tokens: input.length },
          });
          return;
        }
        if (req.method === 'POST' && req.url?.endsWith('/chat/completions')) {
          const b = body as ChatBody;
          const prompt = (b.messages ?? []).map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content))).join('\n');
          const { kind, content } = answer(prompt, b.response_format?.type === 'json_object');
          calls[kind] = (calls[kind] ?? 0) + 1;
          if (held && EXTRACTION.has(kind)) {
            const h = held;
            const first = h.onHeld;
            h.onHeld = undefined;
            h.count++;
            first?.();
            await h.released;
            h.count--;
          }
          send(200, {
            id: `chatcmpl-stand-in-${calls[kind]}`,
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model: b.model ?? 'stand-in',
            choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
            usage: usageOf(content),
          });
          return;
        }
        send(404, { error: { message: `the stand-in model does not serve ${req.method} ${req.url}` } });
      })().catch((e: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: String(e) } }));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    calls,
    hold(onHeld) {
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      held = { onHeld, released, count: 0 };
      return () => {
        held = undefined;
        release();
      };
    },
    held: () => held?.count ?? 0,
    failEmbeddings(count) {
      embeddingFailures = count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Scales a vector to length 1, as hosted embedding models return them. */
function unit(v: number[]): number[] {
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}
