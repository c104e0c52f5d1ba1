/**
 * Records what a client observes of a server: every HTTP exchange (method, path, status, body)
 * made through `fetch`, normalised so that two servers given the same inputs can be compared:
 * ids and times the server makes up are replaced by placeholders numbered in order of appearance.
 */
export interface Exchange {
  request: string;
  sent?: unknown;
  status: number;
  body: unknown;
}

const ULID = /\b[0-9A-HJKMNP-TV-Z]{26}\b/g;
const WRITER = /w-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** A session's creation record (`c-<uuid>`), made up by the client that created it. */
const CREATION = /\bc-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;
const EMBEDDED_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g;
/** Times the scenario chooses lie before this; later ones were made by the server. */
const CHOSEN_BEFORE = Date.parse('2021-01-01T00:00:00Z');

export class Recorder {
  readonly exchanges: Exchange[] = [];
  private readonly names = new Map<string, string>();

  /** A fetch for the services' `fetch` option and for raw calls. */
  readonly fetch = async (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
    const req = input instanceof Request ? input : new Request(input, init);
    const url = new URL(req.url);
    const sentText = ['PUT', 'POST', 'PATCH'].includes(req.method) ? await req.clone().text() : '';
    const entry: Exchange = { request: `${req.method} ${url.pathname}${url.search}`, status: 0, body: undefined };
    if (sentText) entry.sent = JSON.parse(sentText);
    this.exchanges.push(entry);
    const res = await fetch(req);
    const text = await res.clone().text();
    entry.status = res.status;
    entry.body = text ? (JSON.parse(text) as unknown) : undefined;
    return res;
  };

  /** Exchanges from `from` on, normalised. */
  since(from: number): Exchange[] {
    return this.normalise(this.exchanges.slice(from));
  }

  /** Any value with made-up ids and times replaced, and scores rounded. */
  normalise<T>(value: T): T {
    const walk = (v: unknown, key?: string): unknown => {
      if (typeof v === 'string') return this.string(v);
      if (typeof v === 'number' && key !== undefined && /(^|_)(dist|score)$|percentage|^score$/.test(key)) return Math.round(v * 1000) / 1000;
      // Epoch milliseconds of the client's clock (a session's creation) read like made-up times.
      if (typeof v === 'number' && v >= CHOSEN_BEFORE) return '<now-ms>';
      if (Array.isArray(v)) return v.map((x) => walk(x));
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
      return v;
    };
    return walk(value) as T;
  }

  private string(s: string): string {
    if (DATE_TIME.test(s)) return Date.parse(s) < CHOSEN_BEFORE ? s : '<now>';
    return s
      .replace(ULID, (u) => this.placeholder('ulid', u))
      .replace(WRITER, (w) => this.placeholder('writer', w))
      .replace(CREATION, (c) => this.placeholder('creation', c))
      .replace(EMBEDDED_TIME, (t) => (Date.parse(t) < CHOSEN_BEFORE ? t : '<now>'));
  }

  private placeholder(kind: string, value: string): string {
    let name = this.names.get(value);
    if (!name) {
      name = `<${kind}#${[...this.names.values()].filter((n) => n.startsWith(`<${kind}#`)).length + 1}>`;
      this.names.set(value, name);
    }
    return name;
  }
}
