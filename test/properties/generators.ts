/**
 * fast-check generators of what ADK lets an application hand a session service: whole events
 * (every content part kind, every EventActions field, metadata, branches), state maps with hostile
 * keys, ids and timestamps.
 */
import { createEvent, createEventActions, type Event } from '@google/adk';
import fc from 'fast-check';

/** JSON values as ADK stores them (no undefined, no NaN), with numbers at JSON's edges. */
export const jsonValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(0, 1, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1e308, -1e308, 5e-324, 0.1, null, true, false, '', 'ü', '\u0000'),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
    fc.integer(),
    fc.string(),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 3 }),
  ),
})).value;

/** Keys an application may use: unicode, prefixes, prototype names, dots, empty and very long. */
export const stateKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', 'a.b', '', 'k'.repeat(300), '$x', '_private', 'a b', 'ключ', '😀'),
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.tuple(fc.constantFrom('app:', 'user:', 'temp:'), fc.string({ maxLength: 8 })).map(([p, k]) => p + k),
);

/** A state map with keys set as own properties (as ADK's services copy them). */
export const stateMap = fc.array(fc.tuple(stateKey, jsonValue), { maxLength: 4 }).map((entries) => {
  const o: Record<string, unknown> = {};
  for (const [k, value] of entries) Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });
  return o;
});

const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);
const base64 = fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b).toString('base64'));

/** Every kind of content part. */
export const part = fc.oneof(
  fc.record({ text: fc.string({ maxLength: 40 }) }),
  fc.record({ text: fc.string({ maxLength: 20 }), thought: fc.constant(true) }),
  fc.record({ inlineData: fc.record({ mimeType: fc.constantFrom('image/png', 'text/plain'), data: base64 }) }),
  fc.record({ fileData: fc.record({ mimeType: fc.constant('application/pdf'), fileUri: fc.webUrl() }) }),
  fc.record({ functionCall: fc.record({ id: name, name, args: fc.dictionary(name, jsonValue, { maxKeys: 2 }) }) }),
  fc.record({ functionResponse: fc.record({ id: name, name, response: fc.dictionary(name, jsonValue, { maxKeys: 2 }) }) }),
  fc.record({ executableCode: fc.record({ code: fc.string({ maxLength: 30 }), language: fc.constant('PYTHON') }) }),
  fc.record({ codeExecutionResult: fc.record({ outcome: fc.constantFrom('OUTCOME_OK', 'OUTCOME_FAILED'), output: fc.string({ maxLength: 20 }) }) }),
);

/**
 * Times in milliseconds, as ADK JS writes them: 0, fractional (to the microsecond: the database
 * keeps seconds as a double, so a fraction of a nanosecond would not survive it either), the epoch
 * and far in the future.
 */
export const timestamp = fc.oneof(
  fc.constantFrom(0, 1, 1.5, 1_700_000_000_000, 1_700_000_000_000.25, 4_102_444_800_000),
  fc.double({ min: 0, max: 4_102_444_800_000, noNaN: true }).map((t) => Math.round(t * 1000) / 1000),
  fc.integer({ min: 0, max: 2_000_000_000_000 }),
);

/** The fields of EventActions ADK writes. */
const actions = fc
  .record(
    {
      stateDelta: stateMap,
      artifactDelta: fc.dictionary(name, fc.nat(9), { maxKeys: 2 }),
      transferToAgent: name,
      escalate: fc.boolean(),
      skipSummarization: fc.boolean(),
      requestedAuthConfigs: fc.dictionary(name, fc.record({ authScheme: fc.record({ type: fc.constant('oauth2') }) }), { maxKeys: 1 }),
      requestedToolConfirmations: fc.dictionary(name, fc.record({ hint: fc.string({ maxLength: 10 }), confirmed: fc.boolean(), payload: jsonValue }), {
        maxKeys: 1,
      }),
      endOfAgent: fc.boolean(),
      agentState: fc.dictionary(name, jsonValue, { maxKeys: 2 }),
      path: fc.constantFrom('wf', 'wf.child.0'),
      outputFor: fc.array(fc.constantFrom('wf', 'wf.child'), { maxLength: 2 }),
      messageAsOutput: fc.boolean(),
    },
    { requiredKeys: [] },
  )
  .map((a) => createEventActions(a as Parameters<typeof createEventActions>[0]));

/** A whole event as ADK types allow it. */
export const event = (id: fc.Arbitrary<string>): fc.Arbitrary<Event> =>
  fc
    .record(
      {
        id,
        invocationId: fc.string({ minLength: 1, maxLength: 10 }),
        author: fc.oneof(fc.constant('user'), name),
        timestamp,
        content: fc.record({ role: fc.constantFrom('user', 'model'), parts: fc.array(part, { minLength: 1, maxLength: 3 }) }),
        actions,
        branch: fc.constantFrom('root', 'root.helper'),
        longRunningToolIds: fc.array(name, { maxLength: 2 }),
        customMetadata: fc.dictionary(name, jsonValue, { maxKeys: 2 }),
        usageMetadata: fc.record({ promptTokenCount: fc.nat(1000), totalTokenCount: fc.nat(2000) }),
        groundingMetadata: fc.record({ webSearchQueries: fc.array(fc.string({ maxLength: 10 }), { maxLength: 2 }) }),
        turnComplete: fc.boolean(),
        errorCode: fc.constantFrom('MAX_TOKENS', 'SAFETY'),
        errorMessage: fc.string({ maxLength: 20 }),
        interrupted: fc.boolean(),
        finishReason: fc.constantFrom('STOP', 'MAX_TOKENS'),
        citationMetadata: fc.record({ citations: fc.array(fc.record({ uri: fc.webUrl(), startIndex: fc.nat(50) }), { maxLength: 1 }) }),
        inputTranscription: fc.record({ text: fc.string({ maxLength: 10 }), finished: fc.boolean() }),
        outputTranscription: fc.record({ text: fc.string({ maxLength: 10 }), finished: fc.boolean() }),
        interactionId: name,
        modelVersion: fc.constantFrom('gemini-2.5-flash', 'm-1'),
        // Workflow fields.
        output: jsonValue,
        route: fc.oneof(name, fc.array(fc.oneof(name, fc.integer(), fc.boolean()), { maxLength: 2 })),
        nodeInfo: fc.record({ path: fc.constantFrom('wf.child.0', 'wf') }),
        isolationScope: name,
      },
      { requiredKeys: ['id', 'invocationId', 'author', 'timestamp'] },
    )
    .map((e) => {
      // createEvent dates an event given time 0 now: the time is set after it, so a seed makes the same events.
      const made = createEvent(e as Parameters<typeof createEvent>[0]);
      made.timestamp = e.timestamp;
      return made;
    });

/** Ids: ordinary, unicode, whitespace, RediSearch and URL syntax, path characters, at and past length limits. */
export const hostileId = fc.oneof(
  fc.stringMatching(/^[a-zA-Z0-9-]{1,64}$/),
  fc.constantFrom(
    '*',
    'bob*',
    'x} | @user_id:{bob',
    'bob|eve',
    'BOB',
    'bob ',
    ' bob',
    'a/b',
    '../x',
    'a?b=c',
    'a#b',
    '%2F',
    'ü',
    '😀',
    'a'.repeat(64),
    'a'.repeat(65),
    'a'.repeat(200),
  ),
  fc.string({ minLength: 1, maxLength: 20 }),
);
