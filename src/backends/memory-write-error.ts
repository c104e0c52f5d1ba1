import { AgentMemoryError } from '../clients/errors.js';

/**
 * Records of a write that were not stored, raised instead of logged: per-record failures of a
 * Redis Agent Memory bulk write (`type` 'partial-failure'), or records Agent Memory Server
 * accepted and then did not index (`type` 'not-indexed').
 */
export class MemoryWriteError extends AgentMemoryError {
  /** Records that were not stored, with the backend's reason. */
  readonly failed: { id: string; error: string }[] = [];
}
