import { describe, expect, it } from 'vitest';
import { PUT_VARIANTS, classify } from '../../bench/request-classes.js';
import { amsKeys } from '../../src/backends/ams-sessions.js';

const base = 'http://127.0.0.1:8000/v1/working-memory/';
const scope = { namespace: 'app', appName: 'app', userId: 'u', sessionId: 's' };

describe('request classes of the turn bench', () => {
  it("tells a session's own documents from this package's bookkeeping, and listings from reads", () => {
    const journal = amsKeys.journal(scope).namespace;
    const userState = amsKeys.userState('app', 'app', 'u').namespace;
    expect(classify({ method: 'PUT', url: `${base}s?model_name=gpt-4o`, body: JSON.stringify({ namespace: 'app', messages: [{ content: 'hi' }] }) })).toBe(
      'full working-memory PUT',
    );
    expect(classify({ method: 'PUT', url: `${base}w-1`, body: JSON.stringify({ namespace: journal, messages: [] }) })).toBe('journal PUT');
    expect(classify({ method: 'PUT', url: `${base}w-1`, body: JSON.stringify({ namespace: userState, messages: [] }) })).toBe('journal PUT');
    expect(classify({ method: 'GET', url: `${base}s?namespace=app&user_id=u` })).toBe('working-memory GET');
    expect(classify({ method: 'GET', url: `${base}w-1?namespace=${journal}` })).toBe('journal GET');
    expect(classify({ method: 'GET', url: `${base}?namespace=${journal}&limit=100` })).toBe('listing');
    expect(classify({ method: 'GET', url: `${base}?namespace=app&user_id=u` })).toBe('listing');
    expect(classify({ method: 'POST', url: 'http://127.0.0.1:8000/v1/long-term-memory/search' })).toBe('other');
    expect(classify({ method: 'DELETE', url: `${base}s?namespace=app` })).toBe('other');
  });

  it('changes a full PUT only as each variant says', () => {
    const put = {
      method: 'PUT',
      url: `${base}s?context_window_max=8000&model_name=gpt-4o`,
      body: JSON.stringify({ namespace: 'app', messages: [{ id: 'm1', content: 'hi', discrete_memory_extracted: 'f' }], data: { adk: { v: 1 } } }),
    };
    const bare = PUT_VARIANTS['without context_window_max']!(put);
    expect(bare).toEqual({ ...put, url: `${base}s?model_name=gpt-4o` });
    const marked = PUT_VARIANTS['messages marked extracted']!(put);
    expect(marked.url).toBe(put.url);
    expect(JSON.parse(marked.body!)).toEqual({
      namespace: 'app',
      messages: [{ id: 'm1', content: 'hi', discrete_memory_extracted: 't' }],
      data: { adk: { v: 1 } },
    });
  });
});
