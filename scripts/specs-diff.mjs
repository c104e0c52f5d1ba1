#!/usr/bin/env node
// Shows what changed between two OpenAPI documents (3.0 or 3.1, JSON or YAML, files or URLs) before
// you regenerate a client from the newer one:
//
//   npm run specs:diff -- specs/redis-agent-memory.document.yaml specs/redis-agent-memory.openapi.yaml
//   npm run specs:diff -- old.json http://localhost:8000/openapi.json [--fail-on-breaking]
//
// It compares operations, parameters, request and response fields (with their types, enums,
// required-ness and limits) and status codes, and marks each change that breaks a client generated
// from the old document while it talks to a server of the new one: what the old client sends may
// now be refused or ignored, or what it reads may now be missing or outside what its validators
// accept. (openapi-diff, the npm package, refuses OpenAPI 3.1, which FastAPI servers emit.)
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from './specs-pull.mjs';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** Follows local `$ref`s; `seen` stops at a schema that contains itself. */
function resolver(doc) {
  const at = (ref) =>
    ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((node, key) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  return function deref(node, seen = new Set()) {
    if (!node || typeof node !== 'object') return node;
    if (typeof node.$ref === 'string') {
      if (seen.has(node.$ref)) return { recursive: node.$ref };
      const { $ref, ...siblings } = node;
      return deref({ ...at($ref), ...siblings }, new Set([...seen, $ref]));
    }
    if (Array.isArray(node)) return node.map((n) => deref(n, seen));
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, deref(v, seen)]));
  };
}

/** One schema in a comparable shape: allOf merged, nullability folded out of anyOf/oneOf and type lists. */
function shape(schema) {
  if (!schema || typeof schema !== 'object') return {};
  let s = schema;
  if (Array.isArray(s.allOf)) {
    const parts = s.allOf.map(shape);
    s = {
      ...Object.assign({}, ...parts),
      ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== 'allOf')),
      properties: Object.assign({}, ...parts.map((p) => p.properties ?? {}), s.properties ?? {}),
      required: [...new Set([...parts.flatMap((p) => p.required ?? []), ...(s.required ?? [])])],
    };
  }
  for (const key of ['anyOf', 'oneOf']) {
    if (!Array.isArray(s[key])) continue;
    const others = s[key].filter((x) => x?.type !== 'null');
    if (others.length < s[key].length)
      s = {
        ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== key)),
        nullable: true,
        ...(others.length === 1 ? shape(others[0]) : { [key]: others }),
      };
  }
  if (Array.isArray(s.type)) {
    const types = s.type.filter((t) => t !== 'null');
    s = { ...s, type: types.length === 1 ? types[0] : types, ...(types.length < s.type.length ? { nullable: true } : {}) };
  }
  return s;
}

const typeOf = (s) =>
  s.recursive ? `recursive ${s.recursive}` : s.type ? [s.type].flat().join('|') : s.anyOf || s.oneOf ? 'union' : s.properties ? 'object' : 'any';

/**
 * Compares two schemas at `where`. `direction` is 'request' (the old client writes it) or
 * 'response' (the old client reads it): the same change breaks one and not the other.
 */
function compareSchemas(a0, b0, where, direction, out, depth = 0) {
  const a = shape(a0);
  const b = shape(b0);
  if (depth > 12 || a.recursive || b.recursive) return;
  const req = direction === 'request';
  const note = (kind, text, breaking) => out.push({ kind, where, text, breaking });
  if (typeOf(a) !== typeOf(b) && typeOf(a) !== 'any' && typeOf(b) !== 'any') note('~', `type ${typeOf(a)} → ${typeOf(b)}`, true);
  if (!!a.nullable !== !!b.nullable) note('~', b.nullable ? 'may now be null' : 'no longer null', req ? !b.nullable : !!b.nullable);
  if (a.enum || b.enum) {
    const before = new Set(a.enum ?? []);
    const after = new Set(b.enum ?? []);
    const added = [...after].filter((x) => !before.has(x));
    const removed = [...before].filter((x) => !after.has(x));
    if (!a.enum && b.enum) note('~', `now limited to ${JSON.stringify(b.enum)}`, req);
    else if (a.enum && !b.enum) note('~', `no longer limited to ${JSON.stringify(a.enum)}`, !req);
    else {
      if (added.length) note('+', `enum values ${JSON.stringify(added)}`, !req);
      if (removed.length) note('-', `enum values ${JSON.stringify(removed)}`, req);
    }
  }
  // Limits: tighter breaks what a client sends; looser breaks what it accepts back.
  for (const [key, tighter] of [
    ['maxLength', (x, y) => y < x],
    ['maxItems', (x, y) => y < x],
    ['maximum', (x, y) => y < x],
    ['minLength', (x, y) => y > x],
    ['minItems', (x, y) => y > x],
    ['minimum', (x, y) => y > x],
  ]) {
    if (a[key] === b[key]) continue;
    const tightened = a[key] === undefined ? true : b[key] === undefined ? false : tighter(a[key], b[key]);
    note('~', `${key} ${a[key] ?? 'none'} → ${b[key] ?? 'none'}`, req ? tightened : !tightened);
  }
  if (a.pattern !== b.pattern) note('~', `pattern ${a.pattern ?? 'none'} → ${b.pattern ?? 'none'}`, true);
  if (a.format !== b.format) note('~', `format ${a.format ?? 'none'} → ${b.format ?? 'none'}`, a.format !== undefined && b.format !== undefined);
  const ra = new Set(a.required ?? []);
  const rb = new Set(b.required ?? []);
  const pa = a.properties ?? {};
  const pb = b.properties ?? {};
  for (const name of Object.keys(pb)) {
    if (name in pa) continue;
    out.push({ kind: '+', where: `${where}.${name}`, text: `field${rb.has(name) ? ' (required)' : ''}`, breaking: req && rb.has(name) });
  }
  for (const name of Object.keys(pa)) {
    if (name in pb) continue;
    // A field the server no longer knows is ignored when sent, and missing when read.
    out.push({ kind: '-', where: `${where}.${name}`, text: `field${ra.has(name) ? ' (was required)' : ''}`, breaking: req || ra.has(name) });
  }
  for (const name of Object.keys(pa)) {
    if (!(name in pb)) continue;
    if (ra.has(name) !== rb.has(name)) {
      const nowRequired = rb.has(name);
      out.push({ kind: '~', where: `${where}.${name}`, text: nowRequired ? 'now required' : 'now optional', breaking: req ? nowRequired : !nowRequired });
    }
    compareSchemas(pa[name], pb[name], `${where}.${name}`, direction, out, depth + 1);
  }
  if (a.items || b.items) compareSchemas(a.items, b.items, `${where}[]`, direction, out, depth + 1);
  if (typeof a.additionalProperties === 'object' || typeof b.additionalProperties === 'object')
    compareSchemas(a.additionalProperties, b.additionalProperties, `${where}{}`, direction, out, depth + 1);
}

function operations(doc) {
  const deref = resolver(doc);
  const ops = new Map();
  for (const [p, item0] of Object.entries(doc.paths ?? {})) {
    const item = deref(item0);
    for (const m of METHODS) {
      if (!item[m]) continue;
      const op = item[m];
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])];
      const json = (content) => content?.['application/json']?.schema;
      ops.set(`${m.toUpperCase()} ${p}`, {
        id: op.operationId,
        params: new Map(params.map((x) => [`${x.in} ${x.name}`, x])),
        body: op.requestBody ? { required: !!op.requestBody.required, schema: json(op.requestBody.content) } : undefined,
        responses: new Map(Object.entries(op.responses ?? {}).map(([status, r]) => [status, json(r.content)])),
      });
    }
  }
  return ops;
}

/** Every change from `before` to `after`: `{ operation, kind, where, text, breaking }`. */
export function diffSpecs(before, after) {
  const a = operations(before);
  const b = operations(after);
  const changes = [];
  for (const [key, op] of b) if (!a.has(key)) changes.push({ operation: key, kind: '+', where: '', text: `operation ${op.id ?? ''}`.trim(), breaking: false });
  for (const [key, op] of a) if (!b.has(key)) changes.push({ operation: key, kind: '-', where: '', text: `operation ${op.id ?? ''}`.trim(), breaking: true });
  for (const [key, oa] of a) {
    const ob = b.get(key);
    if (!ob) continue;
    const out = [];
    for (const [name, pb] of ob.params) {
      const pa = oa.params.get(name);
      if (!pa) out.push({ kind: '+', where: `parameter ${name}`, text: pb.required ? 'required' : 'optional', breaking: !!pb.required });
      else {
        if (!!pa.required !== !!pb.required)
          out.push({ kind: '~', where: `parameter ${name}`, text: pb.required ? 'now required' : 'now optional', breaking: !!pb.required });
        compareSchemas(pa.schema, pb.schema, `parameter ${name}`, 'request', out);
      }
    }
    for (const name of oa.params.keys()) if (!ob.params.has(name)) out.push({ kind: '-', where: `parameter ${name}`, text: 'no longer read', breaking: true });
    if (oa.body || ob.body) {
      if (!oa.body) out.push({ kind: '+', where: 'request body', text: ob.body.required ? 'required' : 'optional', breaking: ob.body.required });
      else if (!ob.body) out.push({ kind: '-', where: 'request body', text: 'no longer read', breaking: true });
      else {
        if (!oa.body.required && ob.body.required) out.push({ kind: '~', where: 'request body', text: 'now required', breaking: true });
        compareSchemas(oa.body.schema, ob.body.schema, 'request', 'request', out);
      }
    }
    for (const [status, sb] of ob.responses) {
      if (!oa.responses.has(status)) {
        // A client maps a status it does not know to a generic error; a new success status it may not read.
        out.push({ kind: '+', where: `response ${status}`, text: 'status', breaking: /^2/.test(status) });
        continue;
      }
      compareSchemas(oa.responses.get(status), sb, `response ${status}`, 'response', out);
    }
    for (const status of oa.responses.keys())
      if (!ob.responses.has(status)) out.push({ kind: '-', where: `response ${status}`, text: 'status', breaking: /^2/.test(status) });
    for (const c of out) changes.push({ operation: key, ...c });
  }
  return changes;
}

/** The changes as text, one operation per block, breaking ones marked. */
export function formatDiff(changes) {
  if (!changes.length) return 'No API changes.\n';
  const lines = [];
  const byOp = new Map();
  for (const c of changes) byOp.set(c.operation, [...(byOp.get(c.operation) ?? []), c]);
  for (const [op, list] of [...byOp].sort(([x], [y]) => x.split(' ')[1].localeCompare(y.split(' ')[1]) || x.localeCompare(y))) {
    lines.push(op);
    for (const c of list) lines.push(`  ${c.breaking ? 'BREAKING ' : ''}${c.kind} ${c.where ? `${c.where}: ` : ''}${c.text}`);
  }
  const breaking = changes.filter((c) => c.breaking).length;
  lines.push('', `${changes.length} change(s) in ${byOp.size} operation(s); ${breaking} break a client generated from the old document.`);
  return `${lines.join('\n')}\n`;
}

async function main() {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  if (args.length !== 2) {
    console.error('usage: npm run specs:diff -- <old spec> <new spec> [--fail-on-breaking]   (files or URLs, JSON or YAML)');
    process.exit(2);
  }
  const [before, after] = await Promise.all(args.map(load));
  const changes = diffSpecs(before, after);
  process.stdout.write(formatDiff(changes));
  if (process.argv.includes('--fail-on-breaking') && changes.some((c) => c.breaking)) process.exit(1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main().catch((e) => {
    console.error(`specs:diff failed: ${e.message}`);
    process.exit(2);
  });
}
