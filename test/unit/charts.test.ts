/** The performance guide's charts are what bench/charts.ts draws from bench/results.json today. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCharts, type BenchResults } from '../../bench/charts.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const results = JSON.parse(readFileSync(path.join(root, 'bench', 'results.json'), 'utf8')) as BenchResults;

describe('docs/charts', () => {
  const charts = renderCharts(results);

  it('holds a chart for each part of the results, and no other', () => {
    expect(Object.keys(charts).sort()).toEqual(['append-growth.svg', 'get-session-bytes.svg', 'load.svg', 'real-ratios.svg', 'recall.svg', 'turn-cpu.svg']);
    expect(readdirSync(path.join(root, 'docs', 'charts')).sort()).toEqual(Object.keys(charts).sort());
  });

  it.each(Object.keys(charts))('%s is up to date with bench/results.json (npm run charts)', (file) => {
    expect(readFileSync(path.join(root, 'docs', 'charts', file), 'utf8')).toBe(charts[file]);
  });

  it('draws the figures it is given', () => {
    const load = renderCharts({
      load: { sdk: { turnsPerSecond: 4.05, serverCpuPerTurnUs: 376_300 }, python: { turnsPerSecond: 3.59, serverCpuPerTurnUs: 324_180 } },
    });
    expect(Object.keys(load)).toEqual(['load.svg']);
    expect(load['load.svg']).toContain('4.05 turns/s');
    expect(load['load.svg']).toContain('376 ms');
    expect(load['load.svg']).toContain('324 ms');
    const recall = renderCharts({
      recall: [
        { system: 'adk-redis', mode: 'semantic', category: 'all', recallAt10: 0.706 },
        { system: 'ADK InMemoryMemoryService', mode: 'keyword match', category: 'all', recallAt10: 0.137 },
      ],
    });
    expect(recall['recall.svg']).toContain('0.71');
    expect(recall['recall.svg']).toContain('ADK InMemoryMemoryService: keyword match');
  });
});
