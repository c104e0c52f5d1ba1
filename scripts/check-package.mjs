// npm run check:package: the package as npm users' tools see it. Packs the tarball, runs publint
// and @arethetypeswrong/cli on it, checks that every bin and the real server's Python side are in
// it, and type-checks every TypeScript block of README.md and docs/*.md against the built package
// (imported by its own name, as a user's code does). Needs `npm run build` first; exits 1 on any error.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
let failed = false;

function step(title, command, args) {
  process.stdout.write(`check:package: ${title}\n`);
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`check:package: ${title} failed (exit ${r.status ?? r.signal})\n`);
    failed = true;
  }
}

const packDir = mkdtempSync(path.join(tmpdir(), 'adk-redis-pack-'));
try {
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], { cwd: root, encoding: 'utf8' }));
  const tarball = path.join(packDir, packed.filename);
  const files = new Set(packed.files.map((f) => f.path));
  process.stdout.write(`check:package: packed ${packed.filename} (${packed.files.length} files, ${packed.size} bytes)\n`);

  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const wanted = [...Object.values(pkg.bin), 'python/real-agent-memory-server/harness.py', 'python/real-agent-memory-server/constraints.txt'].map((p) =>
    p.replace(/^\.\//, ''),
  );
  const missing = wanted.filter((p) => !files.has(p));
  if (missing.length) {
    process.stderr.write(`check:package: the tarball lacks ${missing.join(', ')}\n`);
    failed = true;
  }

  step('publint', bin('publint'), ['run', tarball, '--strict']);
  // ESM only by design: the profile leaves out CommonJS consumers.
  step('@arethetypeswrong/cli', bin('attw'), [tarball, '--profile', 'esm-only', '--no-color']);
} finally {
  rmSync(packDir, { recursive: true, force: true });
}

// Every ```ts block is a module of its own, named after where it stands, so errors point at it.
const snippetDir = path.join(root, '.cache', 'snippets');
rmSync(snippetDir, { recursive: true, force: true });
mkdirSync(snippetDir, { recursive: true });
const sources = [
  'README.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
let count = 0;
for (const source of sources) {
  const lines = readFileSync(path.join(root, source), 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i])) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end] !== '```') end++;
    const name = `${source.replace(/[/.]/g, '_')}_L${start + 1}.ts`;
    writeFileSync(path.join(snippetDir, name), `${lines.slice(start, end).join('\n')}\nexport {};\n`);
    count++;
    i = end;
  }
}
writeFileSync(
  path.join(snippetDir, 'tsconfig.json'),
  JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { noEmit: true, rootDir: '.', sourceMap: false, declaration: false }, include: ['*.ts'] }),
);
step(`type-check ${count} TypeScript blocks of ${sources.length} documents against the built package`, bin('tsc'), [
  '-p',
  path.join(snippetDir, 'tsconfig.json'),
]);

if (failed) process.exit(1);
process.stdout.write('check:package: all passed\n');
