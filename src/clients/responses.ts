import { z } from 'zod';

/**
 * Shape checks of successful response bodies: the fields callers rely on, as the specs require
 * them. A body that fails one is a backend (or proxy) fault and becomes an InvalidResponseError
 * instead of a TypeError somewhere later. Unknown extra fields are allowed, as the APIs may grow.
 */
const str = z.string();
const arrayOf = <T extends z.ZodType>(t: T) => z.array(t);
const ramEvent = z.looseObject({ eventId: str, actorId: str, sessionId: str, role: str, content: arrayOf(z.looseObject({ text: str })), createdAt: str });
const ramRecord = z.looseObject({ id: str, text: str, createdAt: str, updatedAt: str });
const amsRecord = z.looseObject({ id: str, text: str });
const ack = z.looseObject({ status: str });
const summaryView = z.looseObject({ id: str, source: str });
const partition = z.looseObject({ view_id: str, group: z.record(str, str), summary: str, memory_count: z.number() });
const task = z.looseObject({ id: str, type: str });

export const responseSchemas = {
  Health: z.looseObject({ status: str }),
  StoreHealth: z.looseObject({ status: str }),
  ListSessions: z.looseObject({ items: arrayOf(str), total: z.number() }),
  AddSessionEvent: z.looseObject({ event: ramEvent }),
  GetSessionMemory: z.looseObject({ sessionId: str, ownerId: str, events: arrayOf(ramEvent) }),
  GetSessionEvent: z.looseObject({ event: ramEvent }),
  BulkCreateLongTermMemories: z.looseObject({ created: arrayOf(str), errors: arrayOf(z.looseObject({ id: str, error: str })).optional() }),
  BulkDeleteLongTermMemories: z.looseObject({ deleted: arrayOf(str), errors: arrayOf(z.looseObject({ id: str, error: str })).optional() }),
  SearchLongTermMemory: z.looseObject({ items: arrayOf(ramRecord) }),
  GetLongTermMemory: ramRecord,
  // Specified as 204 with no body: a body means something between here and the store answered instead.
  DeleteSessionMemory: z.undefined(),
  DeleteSessionEvent: z.undefined(),
  UpdateLongTermMemoryFields: z.undefined(),
  UpdateLongTermMemory: ramRecord,
  get_health: z.looseObject({ now: z.number() }),
  list_sessions: z.looseObject({ sessions: arrayOf(str), total: z.number() }),
  get_working_memory: z.looseObject({ session_id: str, messages: arrayOf(z.looseObject({ role: str, content: str })).optional() }),
  put_working_memory: z.looseObject({ session_id: str }),
  delete_working_memory: ack,
  create_long_term_memory: ack,
  search_long_term_memory: z.looseObject({ memories: arrayOf(amsRecord.extend({ dist: z.number() })), total: z.number() }),
  get_long_term_memory: amsRecord,
  update_long_term_memory: amsRecord,
  delete_long_term_memory: ack,
  memory_prompt: z.looseObject({ messages: z.array(z.looseObject({ role: str, content: z.unknown() })) }),
  forget_endpoint: z.looseObject({ scanned: z.number(), deleted: z.number(), deleted_ids: arrayOf(str), dry_run: z.boolean() }),
  compact_long_term_memories_endpoint: ack,
  create_summary_view: summaryView,
  list_summary_views_endpoint: arrayOf(summaryView),
  get_summary_view: summaryView,
  delete_summary_view_endpoint: ack,
  run_summary_view_partition: partition,
  list_summary_view_partitions: arrayOf(partition),
  run_summary_view_full: task,
  get_task_status: task,
} satisfies Record<string, z.ZodType>;

/** Undefined when the body fits the operation's response schema; otherwise what is wrong. */
export function responseProblem(operation: string, body: unknown): string | undefined {
  const schema = (responseSchemas as Record<string, z.ZodType>)[operation];
  if (!schema) return undefined;
  const result = schema.safeParse(body);
  if (result.success) return undefined;
  const issue = result.error.issues[0]!;
  return `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`;
}
