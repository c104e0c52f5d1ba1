import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startBalancer, type Balancer } from '../../src/testing/real-agent-memory-server/balancer.js';
import { freePort } from '../../src/testing/real-agent-memory-server/processes.js';

/** An upstream that answers with its name and echoes the body it received. */
async function upstream(name: string): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name, method: req.method, path: req.url, body })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe("the real-server harness's loopback balancer", () => {
  const open: { close(): unknown }[] = [];
  afterAll(async () => {
    for (const o of open) await o.close();
  });

  it('sends each request to the next API process in turn, method, path and body intact', async () => {
    const a = await upstream('a');
    const b = await upstream('b');
    open.push({ close: () => a.server.close() }, { close: () => b.server.close() });
    const balancer: Balancer = await startBalancer(() => [a.url, b.url]);
    open.push(balancer);
    const answers = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${balancer.url}/v1/working-memory/s?namespace=n`, { method: 'PUT', body: `{"i":${i}}` });
      answers.push((await res.json()) as { name: string; method: string; path: string; body: string });
    }
    expect(answers.map((x) => x.name)).toEqual(['a', 'b', 'a', 'b']);
    expect(answers[3]).toEqual({ name: 'b', method: 'PUT', path: '/v1/working-memory/s?namespace=n', body: '{"i":3}' });
  });

  it('passes over a process that refuses connections (stopped, restarting): no request fails', async () => {
    const a = await upstream('a');
    open.push({ close: () => a.server.close() });
    const down = `http://127.0.0.1:${await freePort()}`;
    const balancer = await startBalancer(() => [down, a.url]);
    open.push(balancer);
    const statuses = await Promise.all(Array.from({ length: 20 }, () => fetch(`${balancer.url}/v1/health`).then((r) => r.status)));
    expect(statuses).toEqual(Array.from({ length: 20 }, () => 200));
    expect(balancer.counts()).toEqual({ byUpstream: { [a.url]: 20 }, refused: 0 });
  });

  it('passes over a process that went away after serving (its kept-alive connections are dead)', async () => {
    const a = await upstream('a');
    const b = await upstream('b');
    open.push({ close: () => a.server.close() });
    const balancer = await startBalancer(() => [a.url, b.url]);
    open.push(balancer);
    await Promise.all(Array.from({ length: 8 }, () => fetch(`${balancer.url}/v1/health`).then((r) => r.text())));
    b.server.closeAllConnections();
    await new Promise<void>((resolve) => b.server.close(() => resolve()));
    const statuses = await Promise.all(Array.from({ length: 20 }, () => fetch(`${balancer.url}/v1/health`).then((r) => r.status)));
    expect(statuses).toEqual(Array.from({ length: 20 }, () => 200));
  });

  it('answers 502 when no process takes the connection', async () => {
    const balancer = await startBalancer(() => [`http://127.0.0.1:1`]);
    open.push(balancer);
    const res = await fetch(`${balancer.url}/v1/health`);
    expect(res.status).toBe(502);
    expect(balancer.counts().refused).toBe(1);
  });
});
