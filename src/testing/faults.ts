/**
 * Fault injection for the reference servers: make chosen requests fail the way real networks and
 * services fail, to test what a client does about it.
 */
export type FaultKind =
  /** Answer with `status` (and `Retry-After` when given) without processing the request. */
  | 'status'
  /** Never answer and do not process; the client's timeout must fire. */
  | 'hang'
  /** Drop the connection before the request is processed. */
  | 'reset-before'
  /** Process the request, then drop the connection: the change is stored, the response is lost. */
  | 'reset-after'
  /**
   * Process the request and answer as usual, but lose the work the server does after answering:
   * Agent Memory Server's indexing of a long-term write, when its embedding model fails.
   */
  | 'lose-after-work'
  /** Process the request, then answer 200 with a body that is not JSON. */
  | 'malformed'
  /** Process the request, then answer 200 with JSON that breaks the spec's response schema. */
  | 'invalid-body';

/** One injected failure: which requests it matches, what it does, how many times. */
export interface FaultRule {
  kind: FaultKind;
  /** HTTP status for `status` faults. */
  status?: number;
  /** `Retry-After` header value (seconds) for `status` faults. */
  retryAfter?: number;
  /** Only requests with this method. */
  method?: string;
  /** Only requests whose path matches. */
  path?: RegExp | string;
  /** How many matching requests it hits (default: all of them). */
  times?: number;
}

/** A reference server's fault injection: rules that fail chosen requests, and the log of those that did. */
export interface FaultController {
  /** Adds rules; the first matching rule with hits left applies to a request. */
  add(...rules: FaultRule[]): void;
  /** Removes every rule. */
  clear(): void;
  /** Requests received (path and query) and the fault, if any, applied to each. */
  readonly log: { method: string; path: string; url: string; fault?: FaultKind }[];
}

export function createFaultController(initial: FaultRule[] = []): FaultController & { take(method: string, path: string, url: string): FaultRule | undefined } {
  let rules = initial.map((r) => ({ ...r, left: r.times ?? Infinity }));
  const log: { method: string; path: string; url: string; fault?: FaultKind }[] = [];
  return {
    log,
    add: (...more) => {
      rules.push(...more.map((r) => ({ ...r, left: r.times ?? Infinity })));
    },
    clear: () => {
      rules = [];
    },
    take(method, path, url) {
      const rule = rules.find(
        (r) =>
          r.left > 0 &&
          (!r.method || r.method.toUpperCase() === method) &&
          (!r.path || (typeof r.path === 'string' ? path.includes(r.path) : r.path.test(path))),
      );
      if (rule) rule.left--;
      log.push({ method, path, url, ...(rule ? { fault: rule.kind } : {}) });
      return rule;
    },
  };
}
