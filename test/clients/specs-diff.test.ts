import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { diffSpecs, formatDiff } from '../../scripts/specs-diff.mjs';

type Change = { operation: string; kind: string; where: string; text: string; breaking: boolean };

/** A one-operation document: `POST /things` with this request body and 200 body. */
const doc = (request: object, response: object, extra: { params?: object[]; paths?: object } = {}) => ({
  openapi: '3.1.0',
  paths: {
    '/things': {
      post: {
        operationId: 'CreateThing',
        parameters: extra.params ?? [],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/In' } } } },
        responses: { '200': { content: { 'application/json': { schema: response } } } },
      },
    },
    ...extra.paths,
  },
  components: { schemas: { In: request } },
});
const obj = (properties: object, required: string[] = []) => ({ type: 'object', properties, required });
const breaking = (changes: Change[]) => changes.filter((c) => c.breaking).map((c) => `${c.kind} ${c.where}: ${c.text}`);

describe('npm run specs:diff', () => {
  it('says nothing for the same document', () => {
    const d = doc(obj({ a: { type: 'string' } }), obj({ id: { type: 'string' } }, ['id']));
    expect(diffSpecs(d, d)).toEqual([]);
    expect(formatDiff([])).toBe('No API changes.\n');
  });

  it('tells request and response apart: a new required field breaks a request, a new enum value breaks a response', () => {
    const before = doc(obj({ a: { type: 'string' } }), obj({ kind: { enum: ['x'] } }, ['kind']));
    const after = doc(obj({ a: { type: 'string' }, b: { type: 'string' } }, ['b']), obj({ kind: { enum: ['x', 'y'] }, extra: { type: 'string' } }, ['kind']));
    const changes = diffSpecs(before, after) as Change[];
    expect(breaking(changes)).toEqual(['+ request.b: field (required)', '+ response 200.kind: enum values ["y"]']);
    expect(changes.find((c) => c.where === 'response 200.extra')).toMatchObject({ kind: '+', breaking: false });
  });

  it('marks removed operations and fields, parameters made required, tighter limits and changed types', () => {
    const before = doc(
      obj({ a: { type: 'string', maxLength: 100 }, gone: { type: 'string' } }),
      obj({ id: { type: 'string' }, n: { type: 'integer' } }, ['id']),
      {
        params: [{ name: 'limit', in: 'query', schema: { type: 'integer' } }],
        paths: { '/old': { get: { operationId: 'Old', responses: { '200': {} } } } },
      },
    );
    const after = doc(obj({ a: { type: 'string', maxLength: 50 } }), obj({ id: { type: 'string' }, n: { type: 'string' } }), {
      params: [{ name: 'limit', in: 'query', required: true, schema: { type: 'integer' } }],
    });
    expect(breaking(diffSpecs(before, after) as Change[]).sort()).toEqual(
      [
        '- : operation Old',
        '- request.gone: field',
        '~ parameter query limit: now required',
        '~ request.a: maxLength 100 → 50',
        '~ response 200.id: now optional',
        '~ response 200.n: type integer → string',
      ].sort(),
    );
  });

  it("reads 3.1 nullability (FastAPI's anyOf with null) as nullability, not a type change", () => {
    const before = doc(obj({}), obj({ score: { type: 'number' } }));
    const after = doc(obj({}), obj({ score: { anyOf: [{ type: 'number' }, { type: 'null' }] } }));
    expect(diffSpecs(before, after)).toEqual([{ operation: 'POST /things', kind: '~', where: 'response 200.score', text: 'may now be null', breaking: true }]);
  });
});
