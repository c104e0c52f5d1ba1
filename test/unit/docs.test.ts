/**
 * The README and the guides as a reader walks them: a short landing page that links every guide,
 * every guide linking back, and no relative link or anchor that leads nowhere.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');
const guides = readdirSync(path.join(root, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => `docs/${f}`);
const documents = ['README.md', 'CHANGELOG.md', ...guides];
const read = (doc: string) => readFileSync(path.join(root, doc), 'utf8');

/** Markdown outside code blocks, where links are links. */
function prose(text: string): string {
  return text.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of prose(text).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = heading!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}_\- ]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n ? `${base}-${n}` : base);
  }
  return anchors;
}

/** Every relative link of a document (images included), as written. */
function linksOf(text: string): string[] {
  return [...prose(text).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z]+:/i.test(target));
}

describe('README and guides', () => {
  it('keeps the README a landing page of at most 250 lines', () => {
    expect(read('README.md').split('\n').length).toBeLessThanOrEqual(250);
  });

  it('links every guide from the README, and the README from every guide', () => {
    const readmeLinks = linksOf(read('README.md')).map((l) => l.split('#')[0]);
    for (const guide of guides) {
      if (guide !== 'docs/README.md') expect(readmeLinks, `README.md links ${guide}`).toContain(guide);
      expect(linksOf(read(guide)), `${guide} links back to the README`).toContain('../README.md');
    }
  });

  it.each(documents)('%s: every relative link and anchor leads somewhere', (doc) => {
    const broken: string[] = [];
    for (const link of linksOf(read(doc))) {
      const [file, anchor] = link.split('#') as [string, string | undefined];
      const target = file ? path.join(path.dirname(doc), file) : doc;
      if (!existsSync(path.join(root, target))) broken.push(`${link} (no ${target})`);
      else if (anchor !== undefined && target.endsWith('.md') && !anchorsOf(read(target)).has(anchor))
        broken.push(`${link} (no heading #${anchor} in ${target})`);
    }
    expect(broken).toEqual([]);
  });
});
