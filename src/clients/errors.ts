/**
 * Typed errors for everything that can go wrong between this package and a backend.
 * Every error names the operation; none ever carries request headers, so the API key
 * cannot leak through a message, a log line or a serialised error.
 */

/** One rejected field, as a backend (or this package's own validation) reported it. */
export interface FieldViolation {
  field: string;
  rule: string;
  message: string;
}

/** What an AgentMemoryError is made from: the failed operation and what the backend said. */
export interface AgentMemoryErrorInit {
  operation: string;
  status?: number | undefined;
  type?: string | undefined;
  detail?: string | undefined;
  fields?: FieldViolation[] | undefined;
  retryable?: boolean | undefined;
  cause?: unknown;
}

/** Base class of every error this package throws about a backend call. */
export class AgentMemoryError extends Error {
  /** HTTP status, when the backend answered. */
  readonly status: number | undefined;
  /** Problem type (Redis Agent Memory `type`) or a short kind name for client-side failures. */
  readonly type: string | undefined;
  /** The backend's human-readable explanation. */
  readonly detail: string | undefined;
  /** Field-level violations, when the backend listed them. */
  readonly fields: FieldViolation[];
  /** The backend operation that failed, e.g. `AddSessionEvent`. */
  readonly operation: string;
  /** Whether the same call may succeed if tried again later. */
  readonly retryable: boolean;

  constructor(message: string, init: AgentMemoryErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.status = init.status;
    this.type = init.type;
    this.detail = init.detail;
    this.fields = init.fields ?? [];
    this.operation = init.operation;
    this.retryable = init.retryable ?? false;
  }

  /** The error's fields as a plain object, for logs and JSON (the cause is left out). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      operation: this.operation,
      status: this.status,
      type: this.type,
      detail: this.detail,
      fields: this.fields,
      retryable: this.retryable,
    };
  }
}

/** 400 or 422: the backend rejected the request's content. */
export class BadRequestError extends AgentMemoryError {}
/** 401: missing or wrong credentials. */
export class AuthenticationError extends AgentMemoryError {}
/** 403: the credentials may not touch this resource. */
export class PermissionDeniedError extends AgentMemoryError {}
/** 404: no such store, session, event or record. */
export class NotFoundError extends AgentMemoryError {}
/** 409: the resource changed underneath the request, or (namespaces) the location is taken, archived or not empty. */
export class ConflictError extends AgentMemoryError {}
/** 413: the request body is larger than the backend accepts. */
export class PayloadTooLargeError extends AgentMemoryError {}
/** 429: rate limited. `retryAfterMs` carries the backend's hint when it sent one. */
export class RateLimitError extends AgentMemoryError {
  retryAfterMs: number | undefined;
}
/**
 * 424: a dependency of the backend is unavailable. Retryable when it may heal (its database);
 * not when the store's model credentials are invalid or its quota is spent (`type` says which).
 */
export class DependencyUnavailableError extends AgentMemoryError {}
/** 423: the store is suspended; retrying does not help until its owner restores it. */
export class ResourceSuspendedError extends AgentMemoryError {}
/** 5xx: the backend failed. */
export class ServerError extends AgentMemoryError {}
/** The request took longer than the configured timeout (or the backend answered 408). */
export class RequestTimeoutError extends AgentMemoryError {}
/** The connection failed or was reset before a response arrived. */
export class ConnectionError extends AgentMemoryError {}
/** The caller's AbortSignal fired. */
export class RequestAbortedError extends AgentMemoryError {}
/** The backend answered with a body that is not what its API specifies. */
export class InvalidResponseError extends AgentMemoryError {}
/** Input rejected by this package before anything was sent. */
export class InvalidInputError extends AgentMemoryError {}

/** A configuration option is missing or breaks its rule. */
export class ConfigurationError extends Error {
  readonly option: string;
  readonly rule: string;
  constructor(option: string, rule: string, context = 'adk-redis') {
    super(`${context}: invalid option "${option}": ${rule}`);
    this.name = 'ConfigurationError';
    this.option = option;
    this.rule = rule;
  }
}

/** Statuses worth retrying: the backend may not have acted, or will act the same next time. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 424, 429, 500, 502, 503, 504]);

/** 424 problem types (Redis Agent Memory SDK 0.4.1) that no retry heals. */
export const PERMANENT_DEPENDENCY_TYPES: ReadonlySet<string> = new Set(['/errors/invalid-model-credentials', '/errors/model-quota-exceeded']);

/** Whether a failure with this status and problem type may succeed when tried again. */
export function isRetryable(status: number, type: string | undefined): boolean {
  return RETRYABLE_STATUSES.has(status) && !(status === 424 && type !== undefined && PERMANENT_DEPENDENCY_TYPES.has(type));
}

const BY_STATUS: Record<number, typeof AgentMemoryError> = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  408: RequestTimeoutError,
  409: ConflictError,
  413: PayloadTooLargeError,
  422: BadRequestError,
  423: ResourceSuspendedError,
  424: DependencyUnavailableError,
  429: RateLimitError,
};

/** Picks the subclass for an HTTP status. */
export function errorClassForStatus(status: number): typeof AgentMemoryError {
  return BY_STATUS[status] ?? (status >= 500 ? ServerError : AgentMemoryError);
}
