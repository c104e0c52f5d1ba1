import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWeb } from '../../examples/fitness-coach/web.js';
import { uriOfBackend } from '../../src/cli/uris.js';
import { RedisLongTermMemoryService } from '../../src/services/memory-service.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { startReferenceServer, type ReferenceServer } from '../../src/testing/index.js';
import { adkRedisServing, partsOf, type ServingCommand } from '../helpers/adk-redis-cli.js';
import { freePort } from '../helpers/ports.js';
import { closeIfStarted } from '../helpers/started.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// .ci/run installs Debian's chromium; on a developer machine without it the check is skipped, in CI it fails.
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser && process.env.CI) throw new Error(`headless Chromium not found at ${CHROMIUM}; .ci/run installs it with apt-get`);

describe.skipIf(!haveBrowser)('ADK dev web UI (npm run web) in headless Chromium', () => {
  let web: Awaited<ReturnType<typeof startWeb>>;
  let browser: Browser;
  let server: ReferenceServer;
  let command: ServingCommand | undefined;
  beforeAll(async () => {
    web = await startWeb(await freePort());
    server = await startReferenceServer({ backend: 'opensource-agent-memory' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 120_000);
  /** Opens the dev UI on an app, sends a message as a user types it, and waits for the answer to show. */
  async function chat(url: string, app: string, message: string, answer: string): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${url}/dev-ui/?app=${app}`);
    const box = page.locator('textarea.chat-input-box');
    await box.waitFor({ timeout: 60_000 });
    await box.fill(message);
    await box.press('Enter');
    await page.getByText(answer).first().waitFor({ timeout: 60_000 });
    return page;
  }
  afterAll(async () => {
    await closeIfStarted(browser);
    await (web as typeof web | undefined)?.stop();
    await command?.stop();
    await closeIfStarted(server);
  });

  it('adk-redis web, as a user types it, serves an agents folder whose turn shows in the UI and is stored on the backend', async () => {
    const config = { backend: 'opensource-agent-memory' as const, apiBaseUrl: server.url };
    await new RedisLongTermMemoryService(config).addMemory({
      appName: 'recall_agent',
      userId: 'user',
      memories: [{ content: { parts: [{ text: 'The user rows 5 km on Tuesdays.' }] } }],
    });
    await server.settled();
    const agents = path.resolve(import.meta.dirname, '../fixtures/dev-agents');
    command = await adkRedisServing(['web', agents, '--host', '127.0.0.1', '--port', '0', '--session_service_uri', uriOfBackend(config)]);
    const page = await chat(command.url, 'recall_agent', 'When do I row?', 'I remember: The user rows 5 km on Tuesdays.');
    await page.screenshot({ path: 'test-results/adk-redis-web.png' }).catch(() => undefined);

    const sessions = new RedisSessionMemoryService(config);
    const { sessions: listed } = await sessions.listSessions({ appName: 'recall_agent', userId: 'user' });
    expect(listed).toHaveLength(1);
    const stored = await sessions.getSession({ appName: 'recall_agent', userId: 'user', sessionId: listed[0]!.id });
    expect(partsOf(stored!.events)).toEqual(['When do I row?', 'call:load_memory', 'response:load_memory', 'I remember: The user rows 5 km on Tuesdays.']);
    expect(await command.stop()).toBe(0);
  }, 120_000);

  it('answers a message sent in the UI, and the turn persists in the session service', async () => {
    const page = await chat(web.url, 'fitness_coach', 'My goal is to swim 2 km without stopping.', 'Got it, I will remember that.');

    // Read the session back through a fresh service instance on the same backend.
    const config = JSON.parse(process.env.ADK_REDIS_CONFIG!);
    const fresh = new RedisSessionMemoryService(config);
    const { sessions } = await fresh.listSessions({ appName: 'fitness_coach', userId: 'user' });
    expect(sessions.length).toBeGreaterThanOrEqual(1);
    const texts: string[] = [];
    for (const s of sessions) {
      const full = await fresh.getSession({ appName: 'fitness_coach', userId: 'user', sessionId: s.id });
      for (const e of full!.events) for (const p of e.content?.parts ?? []) texts.push(p.text ?? `call:${p.functionCall?.name ?? p.functionResponse?.name}`);
    }
    expect(texts).toEqual(['My goal is to swim 2 km without stopping.', 'call:create_memory', 'call:create_memory', 'Got it, I will remember that.']);
    await page.screenshot({ path: 'test-results/web-ui.png' }).catch(() => undefined);

    // The turn's trace, as the dev server keeps it: this package's spans inside ADK's invocation.
    type TraceSpan = { name: string; span_id: string; trace_id: string; parent_span_id: string | null };
    const spans = (await (await fetch(`${web.url}/debug/trace/session/${sessions[0]!.id}`)).json()) as TraceSpan[];
    const invocation = spans.find((s) => s.name === 'invocation');
    const ours = spans.filter((s) => s.name.startsWith('adk-redis '));
    expect(invocation).toBeDefined();
    expect(ours.map((s) => s.name)).toContain('adk-redis appendEvent');
    const byId = new Map(spans.map((s) => [s.span_id, s]));
    const under = (s: TraceSpan) => {
      for (let p = s.parent_span_id; p; p = byId.get(p)?.parent_span_id ?? null) if (p === invocation!.span_id) return true;
      return false;
    };
    expect(ours.every(under)).toBe(true);
    // And in the UI's trace view.
    await page.getByText('Traces', { exact: true }).first().click();
    await page.getByText('adk-redis getSession').first().waitFor({ timeout: 30_000 });
    await page.getByText('adk-redis appendEvent').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: 'test-results/web-ui-trace.png', fullPage: true }).catch(() => undefined);
  }, 120_000);
});
