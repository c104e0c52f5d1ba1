/**
 * SVG charts of bench/results.json for docs/performance.md: `npm run charts` writes them to
 * docs/charts/, and every `npm run bench` run does so after writing its results. Pure rendering
 * (no dependency, no clock), so the same results always give the same files.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

interface Series {
  name: string;
  colour: string;
  dashed?: boolean;
  points: Array<[number, number]>;
}

interface Bar {
  label: string;
  values: Array<{ name: string; colour: string; value: number }>;
  /** How this group's values are printed (else the chart's format). */
  format?: (n: number) => string;
}

const W = 820;
const FONT = 'font-family="system-ui, sans-serif" font-size="12"';
const BLUE = '#1f6feb';
const RED = '#d1242f';
const GREY = '#6e7781';
const GREEN = '#1a7f37';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2));
/** Rounded to 0.1 px, so the files do not change with floating-point noise. */
const px = (n: number) => Math.round(n * 10) / 10;

function humanBytes(n: number): string {
  if (n >= 1e6) return `${num(n / 1e6)} MB`;
  if (n >= 1e3) return `${num(n / 1e3)} kB`;
  return `${n.toFixed(0)} B`;
}

function frame(title: string, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" ${FONT}>`,
    `<rect width="${W}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="15" font-weight="600">${esc(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

const dashOf = (s: { dashed?: boolean | undefined }) => (s.dashed ? ' stroke-dasharray="5 4"' : '');

/** Legend entries left to right, wrapping onto a new row when the width is used up. */
function legend(items: Array<{ name: string; colour: string; dashed?: boolean | undefined }>, y: number): string[] {
  let x = 16;
  let row = 0;
  return items.map((s) => {
    const width = 44 + s.name.length * 7;
    if (x + width > W - 16) {
      x = 16;
      row++;
    }
    const [lx, ly] = [x, y + row * 18];
    x += width;
    return `<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${s.colour}" stroke-width="3"${dashOf(s)}/><text x="${lx + 30}" y="${ly + 4}">${esc(s.name)}</text>`;
  });
}

/** A line chart on logarithmic axes (both), for costs against session length. */
export function logLineChart(title: string, xLabel: string, yLabel: string, series: Series[], format: (n: number) => string): string {
  const H = 420;
  const left = 80;
  const right = W - 24;
  const top = 48;
  const bottom = H - 100;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => v > 0);
  const [x0, x1] = [Math.log10(Math.min(...xs)), Math.log10(Math.max(...xs))];
  const [y0, y1] = [Math.floor(Math.log10(Math.min(...ys))), Math.ceil(Math.log10(Math.max(...ys)))];
  const sx = (x: number) => left + ((Math.log10(x) - x0) / (x1 - x0 || 1)) * (right - left);
  const sy = (y: number) => bottom - ((Math.log10(y) - y0) / (y1 - y0 || 1)) * (bottom - top);
  const body: string[] = [];
  for (let e = y0; e <= y1; e++) {
    const y = px(sy(10 ** e));
    body.push(
      `<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#d0d7de"/><text x="${left - 8}" y="${y + 4}" text-anchor="end">${esc(format(10 ** e))}</text>`,
    );
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    body.push(`<text x="${px(sx(x))}" y="${bottom + 18}" text-anchor="middle">${x.toLocaleString('en-US')}</text>`);
  }
  body.push(`<text x="${(left + right) / 2}" y="${bottom + 38}" text-anchor="middle" fill="${GREY}">${esc(xLabel)}</text>`);
  body.push(`<text x="16" y="${top - 8}" fill="${GREY}">${esc(yLabel)}</text>`);
  for (const s of series) {
    // A value below the lowest gridline (0 bytes) sits on it.
    const at = s.points.map(([x, y]) => [px(sx(x)), px(sy(Math.max(y, 10 ** y0)))] as const);
    const d = at.map(([x, y], i) => `${i ? 'L' : 'M'}${x},${y}`).join(' ');
    body.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2.5"${dashOf(s)}/>`);
    for (const [x, y] of at) body.push(`<circle cx="${x}" cy="${y}" r="3.5" fill="${s.colour}"/>`);
  }
  body.push(...legend(series, bottom + 62));
  return frame(title, H, body);
}

/**
 * Horizontal grouped bars, with an optional reference line (e.g. a ratio of 1). `perGroup` scales
 * each group to its own largest value, for groups of different units.
 */
export function barChart(
  title: string,
  bars: Bar[],
  format: (n: number) => string,
  o: { reference?: { value: number; label: string }; perGroup?: boolean } = {},
): string {
  const reference = o.reference;
  const groupHeight = Math.max(...bars.map((b) => b.values.length)) * 14 + 12;
  const labelWidth = 250;
  const left = 16 + labelWidth;
  const right = W - 100;
  const top = 48;
  const H = top + bars.length * groupHeight + 70;
  const max = Math.max(...bars.flatMap((b) => b.values.map((v) => v.value)), reference?.value ?? 0);
  /** Where a value ends on a scale whose right edge is `of`. */
  const xOf = (v: number, of: number) => left + (v / of) * (right - left);
  const body: string[] = [];
  bars.forEach((bar, i) => {
    const y = top + i * groupHeight;
    body.push(`<text x="${left - 8}" y="${y + groupHeight / 2}" text-anchor="end">${esc(bar.label)}</text>`);
    const of = o.perGroup ? Math.max(...bar.values.map((v) => v.value)) : max;
    const sx = (v: number) => xOf(v, of);
    bar.values.forEach((v, j) => {
      const by = y + 6 + j * 14;
      body.push(`<rect x="${left}" y="${by}" width="${px(sx(v.value) - left)}" height="11" fill="${v.colour}"/>`);
      body.push(`<text x="${px(sx(v.value) + 4)}" y="${by + 10}" font-size="11">${esc((bar.format ?? format)(v.value))}</text>`);
    });
  });
  if (reference) {
    const x = px(xOf(reference.value, max));
    body.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + bars.length * groupHeight}" stroke="${GREY}" stroke-dasharray="4 3"/>`);
    body.push(`<text x="${x}" y="${top + bars.length * groupHeight + 14}" text-anchor="middle" fill="${GREY}">${esc(reference.label)}</text>`);
  }
  const names = [...new Map(bars.flatMap((b) => b.values.map((v) => [v.name, v.colour] as const))).entries()].map(([name, colour]) => ({ name, colour }));
  body.push(...legend(names, H - 26));
  return frame(title, H, body);
}

/** The parts of results.json the charts read (each optional: a mode not yet run draws nothing). */
export interface BenchResults {
  appendGrowth?: Record<string, Array<{ sessionLength: number; requests: number; requestBytes: number; responseBytes: number }>>;
  longSessions?: Array<{ backend: string; sessionLength: number; warm: boolean; requests: number; responseBytes: number }>;
  real?: {
    rows?: Array<{ operation: string; ratioToRaw: number; ratioToPython: number }>;
    turns?: Array<{ sessionLength: number; warm: boolean; sdkServerCpuUs: number; pythonServerCpuUs: number }>;
  };
  load?: {
    sdk: { turnsPerSecond: number; serverCpuPerTurnUs: number };
    python: { turnsPerSecond: number; serverCpuPerTurnUs: number };
  };
  recall?: Array<{ system: string; mode: string; category: string; recallAt10: number }>;
}

const BACKEND_NAMES: Record<string, string> = { 'redis-agent-memory': 'Redis Agent Memory', 'opensource-agent-memory': 'Agent Memory Server' };
const backendName = (b: string) => BACKEND_NAMES[b] ?? b;

/** Every chart the results allow, by file name. */
export function renderCharts(results: BenchResults): Record<string, string> {
  const charts: Record<string, string> = {};
  if (results.appendGrowth) {
    // Only the backends' rows: appendGrowth also keeps the large-event tables, of another shape.
    const series = Object.entries(results.appendGrowth)
      .filter(([backend]) => backend in BACKEND_NAMES)
      .map(([backend, rows], i) => ({
        name: backendName(backend),
        colour: i ? RED : BLUE,
        points: rows.map((r) => [r.sessionLength, r.requestBytes + r.responseBytes] as [number, number]),
      }));
    charts['append-growth.svg'] = logLineChart(
      'appendEvent: bytes per append by session length (reference servers)',
      'events in the session',
      'bytes per append (sent + received)',
      series,
      humanBytes,
    );
  }
  if (results.longSessions) {
    const rows = results.longSessions;
    const series = [...new Set(rows.map((r) => r.backend))].flatMap((backend, i) =>
      [false, true].map((warm) => ({
        name: `${backendName(backend)}, ${warm ? 'warm' : 'cold'}`,
        colour: i ? RED : BLUE,
        dashed: warm,
        points: rows.filter((r) => r.backend === backend && r.warm === warm).map((r) => [r.sessionLength, r.responseBytes] as [number, number]),
      })),
    );
    charts['get-session-bytes.svg'] = logLineChart(
      'getSession: bytes received by session length (reference servers)',
      'events in the session',
      'bytes received per getSession',
      series,
      humanBytes,
    );
  }
  if (results.real?.rows) {
    const bars = results.real.rows.map((r) => ({
      label: r.operation,
      values: [
        { name: 'this package ÷ raw HTTP', colour: BLUE, value: r.ratioToRaw },
        { name: 'this package ÷ Python adk-redis', colour: GREEN, value: r.ratioToPython },
      ],
    }));
    charts['real-ratios.svg'] = barChart('Real Agent Memory Server: median time ÷ raw HTTP and ÷ the Python adk-redis', bars, (n) => `${n.toFixed(2)}×`, {
      reference: { value: 1, label: 'same time' },
    });
  }
  if (results.real?.turns) {
    const bars = results.real.turns.map((t) => ({
      label: `${t.sessionLength.toLocaleString('en-US')} events, ${t.warm ? 'warm' : 'cold'}`,
      values: [
        { name: 'this package', colour: BLUE, value: t.sdkServerCpuUs / 1000 },
        { name: 'Python adk-redis', colour: GREEN, value: t.pythonServerCpuUs / 1000 },
      ],
    }));
    charts['turn-cpu.svg'] = barChart("A Runner turn: the real server's API CPU (ms)", bars, (n) => `${n.toFixed(0)} ms`);
  }
  if (results.load) {
    const { sdk, python } = results.load;
    const bars = [
      {
        label: 'turns per second',
        format: (n: number) => `${n.toFixed(2)} turns/s`,
        values: [
          { name: 'this package', colour: BLUE, value: sdk.turnsPerSecond },
          { name: 'Python adk-redis', colour: GREEN, value: python.turnsPerSecond },
        ],
      },
      {
        label: 'server CPU per turn',
        format: (n: number) => `${n.toFixed(0)} ms`,
        values: [
          { name: 'this package', colour: BLUE, value: sdk.serverCpuPerTurnUs / 1000 },
          { name: 'Python adk-redis', colour: GREEN, value: python.serverCpuPerTurnUs / 1000 },
        ],
      },
    ];
    charts['load.svg'] = barChart('Load on the real server: 4 replicas, 2 API processes, 2 task workers', bars, (n) => n.toFixed(2), { perGroup: true });
  }
  if (results.recall?.length) {
    const rows = results.recall;
    const palette = [BLUE, '#54aeff', RED, '#bf8700', '#8250df', GREEN, GREY];
    const systems = [...new Set(rows.map((r) => `${r.system}: ${r.mode}`))];
    const bars = [...new Set(rows.map((r) => r.category))].map((category) => ({
      label: category === 'all' ? 'all questions' : category,
      values: systems.map((name, i) => ({
        name,
        colour: palette[i % palette.length]!,
        value: rows.find((r) => `${r.system}: ${r.mode}` === name && r.category === category)?.recallAt10 ?? 0,
      })),
    }));
    charts['recall.svg'] = barChart('Memory search recall@10 by question kind (real server, all-MiniLM-L6-v2)', bars, (n) => n.toFixed(2));
  }
  return charts;
}

/** Writes every chart of bench/results.json to docs/charts/. */
export async function writeCharts(root: string): Promise<string[]> {
  const results = JSON.parse(await readFile(path.join(root, 'bench', 'results.json'), 'utf8')) as BenchResults;
  const dir = path.join(root, 'docs', 'charts');
  await mkdir(dir, { recursive: true });
  const charts = renderCharts(results);
  for (const [file, svg] of Object.entries(charts)) await writeFile(path.join(dir, file), svg);
  return Object.keys(charts);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const written = await writeCharts(path.resolve(import.meta.dirname, '..'));
  console.log(`wrote ${written.map((f) => `docs/charts/${f}`).join(', ')}`);
}
