import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
// @ts-expect-error plain ESM script without types
import { normalise, sortKeys } from '../../scripts/specs-pull.mjs';

describe('specs:pull normalisation', () => {
  const doc = {
    paths: { '/b': { get: { responses: {} } }, '/a': { post: { responses: {} } } },
    openapi: '3.1.0',
    info: { version: '1', title: 'T' },
    servers: [{ url: 'https://prod.example.invalid' }],
  };

  it('is independent of key order, so a diff shows only real changes', () => {
    const shuffled = { info: { title: 'T', version: '1' }, openapi: '3.1.0', servers: doc.servers, paths: { '/a': doc.paths['/a'], '/b': doc.paths['/b'] } };
    expect(normalise(doc, undefined)).toBe(normalise(shuffled, undefined));
    expect(Object.keys(parse(normalise(doc, undefined)).paths)).toEqual(['/a', '/b']);
    expect(sortKeys({ b: [{ d: 1, c: 2 }], a: 1 })).toEqual({ a: 1, b: [{ c: 2, d: 1 }] });
  });

  it('keeps the current Bearer scheme when the pulled document declares none', () => {
    const current = { components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } }, security: [{ bearerAuth: [] }] };
    const out = parse(normalise(doc, current));
    expect(out.components.securitySchemes.bearerAuth.scheme).toBe('bearer');
    expect(out.security).toEqual([{ bearerAuth: [] }]);
    expect(out.servers).toEqual([{ url: 'http://localhost:8000' }]);
  });

  it('drops descriptions and summaries, but not properties of those names', () => {
    const withProse = {
      ...doc,
      info: { title: 'T', version: '1', description: 'About the API' },
      paths: { '/a': { post: { summary: 'Do a', description: 'Long text', responses: {} } } },
      components: {
        schemas: {
          Task: {
            description: 'A task',
            type: 'object',
            properties: { description: { type: 'string', description: 'What it is' }, summary: { type: 'string' } },
          },
        },
      },
    };
    const out = parse(normalise(withProse, undefined));
    expect(out.info).toEqual({ title: 'T', version: '1' });
    expect(out.paths['/a'].post).toEqual({ responses: {} });
    expect(out.components.schemas.Task).toEqual({ type: 'object', properties: { description: { type: 'string' }, summary: { type: 'string' } } });
  });

  it('refuses something that is not an OpenAPI document', () => {
    expect(() => normalise({ hello: 'world' }, undefined)).toThrow(/not an OpenAPI document/);
  });
});
