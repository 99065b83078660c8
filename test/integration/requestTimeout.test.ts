// Issue #13, item 7: client requests have timeouts. A daemon that accepts a request and never
// answers (stuck, or a fake one) gives the caller a clear error and a $/cancelRequest, instead of
// a promise that never settles (the extension's "Segmenting…" forever); the extension's
// supervisor sets a 5-minute limit on every connection it opens (daemonSupervisor.ts).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { connectSocket } from '../../daemon/api/client';
import { tempDir } from '../helpers/daemonProcess';

test('a request the daemon never answers is rejected after requestTimeoutMs, naming the method, and cancelled', { timeout: 30_000 }, async () => {
  const base = tempDir('seglens-stuck-');
  const dir = path.join(base, 'run');
  fs.mkdirSync(dir, { mode: 0o700 });
  const sock = path.join(dir, 'daemon.sock');
  const cancelled: unknown[] = [];
  const server = net.createServer((s) => {
    const c = createMessageConnection(new StreamMessageReader(s), new StreamMessageWriter(s));
    c.onRequest('initialize', () => ({ protocolVersion: 1, daemonVersion: 'stuck', pid: 1, providers: ['cpu'], modes: [] }));
    c.onRequest('seglens/segment', (_p, token) => new Promise((resolve) => token.onCancellationRequested(() => (cancelled.push(1), resolve(null)))));
    c.onRequest('seglens/status', () => new Promise(() => undefined));
    c.listen();
  });
  await new Promise<void>((r) => server.listen(sock, r));
  try {
    const client = await connectSocket(sock);
    await client.initialize({ clientName: 'patient' });
    client.requestTimeoutMs = 1000;
    await assert.rejects(client.segment({ mode: 'fast', image: { path: '/x.png' } }), /did not answer seglens\/segment within 1 s/);
    await assert.rejects(client.status(), /did not answer seglens\/status within 1 s/);
    for (let i = 0; i < 100 && cancelled.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(cancelled.length, 1, 'the timed-out request was cancelled on the daemon');
    assert.equal(client.isClosed, false, 'the connection stays usable');
    client.dispose();
  } finally {
    server.close();
    fs.rmSync(base, { recursive: true, force: true });
  }
});
