#!/usr/bin/env node
// Pulls a newer API description into specs/ and regenerates generated/.
//
//   npm run specs:pull -- --backend agent-memory-server --from http://localhost:8000/openapi.json
//   npm run specs:pull -- --backend redis-agent-memory --from ./openapi-agent-memory.json
//
// The document (JSON or YAML, from a URL or a file) is normalised so that a diff of specs/
// shows only real API changes: descriptions and summaries dropped (prose that changes without
// the API changing, and another project's words), object keys sorted, servers pointed at
// localhost, YAML emitted with fixed formatting. A document that declares no security scheme
// keeps the one the current spec declares (the Redis Agent Memory reference omits its Bearer scheme).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { TARGETS, outputs, sourceOf } from './generate.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function usage(message) {
  console.error(`${message}\nusage: npm run specs:pull -- --backend <${TARGETS.map((t) => t.backend).join('|')}> --from <url-or-file>`);
  process.exit(2);
}

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** An OpenAPI document (JSON or YAML) from a URL or a file. */
export async function load(from) {
  if (/^https?:\/\//i.test(from)) {
    const res = await fetch(from, { headers: { accept: 'application/json, application/yaml;q=0.9' } });
    if (!res.ok) throw new Error(`GET ${from} answered HTTP ${res.status}`);
    return parse(await res.text());
  }
  return parse(await readFile(path.resolve(from), 'utf8'));
}

/** Recursively sorts object keys; arrays keep their order (it can be meaningful). */
export function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys(value[k])]),
    );
  }
  return value;
}

/** Drops `description` and `summary` annotations everywhere, but never a property named so. */
export function withoutProse(value, underProperties = false) {
  if (Array.isArray(value)) return value.map((v) => withoutProse(v));
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => underProperties || (k !== 'description' && k !== 'summary'))
      .map(([k, v]) => [k, withoutProse(v, !underProperties && k === 'properties')]),
  );
}

export function normalise(doc, current) {
  if (!doc || typeof doc !== 'object' || !doc.openapi || !doc.paths) throw new Error('not an OpenAPI document (no openapi/paths)');
  const out = { ...withoutProse(doc), servers: [{ url: 'http://localhost:8000' }] };
  if (!out.components?.securitySchemes && current?.components?.securitySchemes) {
    out.components = { ...out.components, securitySchemes: current.components.securitySchemes };
    if (!out.security && current.security) out.security = current.security;
  }
  return stringify(sortKeys(out), { lineWidth: 0, aliasDuplicateObjects: false });
}

/**
 * Writes the normalised document into `base`'s specs/ and regenerates, in the same step, every
 * file generated from it (types and response validators). Returns the files written.
 */
export async function pull({ backend, from, base = root }) {
  const target = TARGETS.find((t) => t.backend === backend);
  if (!target) throw new Error(`unknown backend ${backend}`);
  const specPath = path.join(base, sourceOf(target));
  const before = await readFile(specPath, 'utf8');
  const next = normalise(await load(from), parse(before));
  await writeFile(specPath, next);
  const generated = await outputs(target, base);
  for (const [file, text] of generated) await writeFile(path.join(base, file), text);
  return { changed: before !== next, files: [sourceOf(target), ...generated.map(([file]) => file)] };
}

async function main() {
  const backend = arg('backend');
  const from = arg('from');
  if (!TARGETS.some((t) => t.backend === backend)) usage(`unknown or missing --backend ${backend ?? ''}`.trim());
  if (!from) usage('missing --from');
  const { changed, files } = await pull({ backend, from });
  console.log(changed ? `updated ${files.join(', ')}; review with git diff specs/ generated/` : `${files[0]} unchanged`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main().catch((e) => {
    console.error(`specs:pull failed: ${e.message}`);
    process.exit(1);
  });
}
