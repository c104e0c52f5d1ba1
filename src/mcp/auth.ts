// Who an HTTP request to adk-redis-mcp acts for. Every request is checked; a tool never runs for a
// request that did not prove its user. Tokens are compared in constant time and never logged.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

type Headers = Record<string, string | string[] | undefined>;

/** The outcome of checking one request: its user, or why it gets 401. */
export type Authentication = { userId: string } | { refused: string };

export interface Authenticator {
  authenticate(headers: Headers): Authentication;
  /** One line for the start-up log (never a token). */
  readonly description: string;
  /** Printed at start when the mode trusts the network, not a credential. */
  readonly warning?: string;
}

/** An error in the authentication options or the tokens file: the message names the option or field. */
export class AuthConfigError extends Error {
  override name = 'AuthConfigError';
}

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/** Compares two tokens in constant time (their digests, so lengths leak nothing either). */
export function sameToken(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
}

/** The token of an `Authorization: Bearer <token>` header, if the request has one. */
export function bearerToken(headers: Headers): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header(headers, 'authorization') ?? '');
  return m?.[1];
}

/**
 * Checks a token against every known one (all compared, none skipped), so the time taken does not
 * tell which token, or how much of one, matched.
 */
function userOfToken(token: string, users: ReadonlyMap<string, string>): string | undefined {
  let found: string | undefined;
  for (const [known, user] of users) if (sameToken(token, known) && found === undefined) found = user;
  return found;
}

const MISSING = 'send Authorization: Bearer <token>';
const UNKNOWN = 'the bearer token is not valid';

/** Parses a tokens file: a JSON object from bearer token to user id. */
export function parseTokens(text: string, source: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AuthConfigError(`${source}: must be JSON: an object from bearer token to user id, {"<token>": "<userId>"}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new AuthConfigError(`${source}: must be a JSON object from bearer token to user id`);
  const users = new Map<string, string>();
  for (const [i, [token, user]] of Object.entries(parsed).entries()) {
    // Tokens are never echoed: an entry is named by its position.
    if (!/^\S{16,}$/.test(token)) throw new AuthConfigError(`${source}: token #${i + 1} must be at least 16 characters without whitespace`);
    if (typeof user !== 'string' || !user.trim()) throw new AuthConfigError(`${source}: the user id of token #${i + 1} must be a non-empty string`);
    users.set(token, user);
  }
  if (!users.size) throw new AuthConfigError(`${source}: holds no tokens`);
  return users;
}

/**
 * `--tokens FILE`: each bearer token acts as its own user. The file is read again when it changes,
 * so a token can be added or revoked without a restart; a file that stops parsing refuses every
 * request until it is fixed (and says so once on stderr).
 */
export function tokensFileAuthenticator(file: string, log: (line: string) => void = () => {}): Authenticator {
  const load = () => parseTokens(readFileSync(file, 'utf8'), `--tokens ${file}`);
  let users = load();
  let stamp = statSync(file).mtimeMs;
  let broken = false;
  const current = (): ReadonlyMap<string, string> => {
    let now: number;
    try {
      now = statSync(file).mtimeMs;
    } catch {
      now = Number.NaN;
    }
    if (now === stamp) return users;
    try {
      users = load();
      stamp = now;
      broken = false;
    } catch (e) {
      if (!broken) log(`adk-redis-mcp: ${(e as Error).message}; refusing every request until it is fixed`);
      broken = true;
      users = new Map();
    }
    return users;
  };
  return {
    description: `bearer tokens from ${file}, each acting as its own user`,
    authenticate(headers) {
      const token = bearerToken(headers);
      if (!token) return { refused: MISSING };
      const userId = userOfToken(token, current());
      return userId ? { userId } : { refused: UNKNOWN };
    },
  };
}

/** `--user <id>` over HTTP: one bearer token (from ADK_REDIS_MCP_TOKEN) acting as that user. */
export function singleUserAuthenticator(userId: string, token: string | undefined): Authenticator {
  if (!token) throw new AuthConfigError('--user over --http needs a bearer token in the environment variable ADK_REDIS_MCP_TOKEN');
  if (!/^\S{16,}$/.test(token)) throw new AuthConfigError('ADK_REDIS_MCP_TOKEN must be at least 16 characters without whitespace');
  const users = new Map([[token, userId]]);
  return {
    description: `one bearer token (ADK_REDIS_MCP_TOKEN) acting as user ${userId}`,
    authenticate(headers) {
      const presented = bearerToken(headers);
      if (!presented) return { refused: MISSING };
      const user = userOfToken(presented, users);
      return user ? { userId: user } : { refused: UNKNOWN };
    },
  };
}

/** `--trust-user-header <name>`: the header names the user; for use behind a proxy that authenticates callers and sets it. */
export function trustedHeaderAuthenticator(name: string): Authenticator {
  if (!/^[A-Za-z0-9-]+$/.test(name)) throw new AuthConfigError('--trust-user-header takes an HTTP header name (letters, digits and -)');
  return {
    description: `the user named by the ${name} header (set by an authenticating proxy)`,
    warning: `--trust-user-header ${name}: any process that reaches this port can act as any user by sending ${name}; serve it only behind a proxy that authenticates callers and sets ${name} itself`,
    authenticate(headers) {
      const userId = header(headers, name);
      return userId ? { userId } : { refused: `send the ${name} header` };
    },
  };
}
