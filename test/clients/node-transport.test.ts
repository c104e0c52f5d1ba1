import { afterAll, describe, expect, it } from 'vitest';
import { ConnectionError, RequestAbortedError, createAgentMemoryServerClient } from '../../src/clients/index.js';
import { AttemptCancel, nodeFetch } from '../../src/clients/node-transport.js';
import { eventually } from '../helpers/eventually.js';
import { sendJson, startStub, type StubServer } from '../helpers/stub-server.js';

describe('the default node transport', () => {
  const servers: StubServer[] = [];
  const stub = async (handler: Parameters<typeof startStub>[0]) => {
    const s = await startStub(handler);
    servers.push(s);
    return s;
  };
  afterAll(async () => Promise.all(servers.map((s) => s.close())));

  it('sends the method, headers and body, and reads status, headers and JSON', async () => {
    let seen: { method?: string; auth?: string; type?: string; length?: string; body?: string } = {};
    const s = await stub((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen = { method: req.method, auth: req.headers.authorization, type: req.headers['content-type'], length: req.headers['content-length'], body };
        sendJson(res, 201, { ok: 'ü' }, { 'x-trace': 'abc' });
      });
    });
    const body = JSON.stringify({ text: 'grüße' });
    const res = await nodeFetch({
      url: `${s.url}/v1/x?a=1`,
      init: { method: 'POST', headers: new Headers({ authorization: 'Bearer k', 'content-type': 'application/json' }), body },
    });
    expect(seen).toEqual({ method: 'POST', auth: 'Bearer k', type: 'application/json', length: String(Buffer.byteLength(body)), body });
    expect([res.status, res.ok, res.headers.get('X-Trace')]).toEqual([201, true, 'abc']);
    expect(await res.json()).toEqual({ ok: 'ü' });
  });

  it('rejects a response cut off in the middle of its body, which the client reports as ConnectionError', async () => {
    const s = await stub((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"sessions": ["a"');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await expect(nodeFetch({ url: `${s.url}/v1/working-memory/`, init: {} })).rejects.toMatchObject({ code: 'ECONNRESET' });
    const client = createAgentMemoryServerClient({ apiBaseUrl: s.url, maxRetries: 1, retryBaseDelay: 0.01 });
    await expect(client.listSessions()).rejects.toBeInstanceOf(ConnectionError);
    expect(s.hits).toBe(3);
  });

  it('closes the connection of an attempt that is cancelled, and rejects with the reason', async () => {
    let arrived = 0;
    let closed = false;
    const s = await stub((req) => {
      arrived++;
      req.socket.on('close', () => (closed = true));
    });
    const cancel = new AttemptCancel();
    const pending = nodeFetch({ url: `${s.url}/v1/health`, init: { signal: cancel.signal } });
    await eventually('the request has reached the server', () => arrived === 1);
    cancel.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    await eventually('the server sees the connection closed', () => closed);

    const client = createAgentMemoryServerClient({ apiBaseUrl: s.url, timeout: 30 });
    const caller = new AbortController();
    const call = client.health({ signal: caller.signal });
    await eventually('the call has reached the server', () => arrived === 2);
    caller.abort(new Error('user left'));
    await expect(call).rejects.toBeInstanceOf(RequestAbortedError);
  });

  it('gives client.http standard fetch Responses, for calls the methods do not cover', async () => {
    const s = await stub((_req, res) => sendJson(res, 200, { now: 1 }));
    const client = createAgentMemoryServerClient({ apiBaseUrl: s.url });
    const { data, response } = await client.http.GET('/v1/health');
    expect(response).toBeInstanceOf(Response);
    expect(data).toEqual({ now: 1 });
  });
});
