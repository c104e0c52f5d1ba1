import { describe, expect, it } from 'vitest';
import { errorFromResponse } from '../../src/clients/problem.js';

describe('error bodies read into typed errors', () => {
  it('keeps what a field violation says when its parts are not strings (found by the linter: no-base-to-string)', () => {
    const fastApi = errorFromResponse('put_working_memory', 422, {
      detail: [{ loc: ['body', 'messages', 0], msg: { reason: 'too long', max: 10 }, type: 'value_error' }],
    });
    expect(fastApi.message).toBe('put_working_memory failed with HTTP 422: body.messages.0: {"reason":"too long","max":10}');
    expect(fastApi.fields).toEqual([{ field: 'body.messages.0', rule: 'value_error', message: '{"reason":"too long","max":10}' }]);
    const problem = errorFromResponse('AddSessionEvent', 400, {
      title: 'Bad Request',
      fields: [{ field: { path: ['events', 1] }, rule: 'required', message: null }],
    });
    expect(problem.fields).toEqual([{ field: '{"path":["events",1]}', rule: 'required', message: '' }]);
    expect(JSON.stringify(problem.fields)).not.toContain('[object Object]');
  });
});
