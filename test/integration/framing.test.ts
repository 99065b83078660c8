// Issue #13, item 3: one framing authority. Against the real daemon: two Content-Length headers
// (the guard read the first, vscode-jsonrpc the last: a 2 GB buffer), a frame left incomplete
// (--frame-timeout-seconds), too many connections (--max-clients); and the Node client's own
// guard against a daemon that floods it. After each case another client is still served.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { connectSocket, DaemonClient } from '../../daemon/api/client';
import { ListeningDaemon, startListening, tempDir } from '../helpers/daemonProcess';
import { frame, RawClient } from '../helpers/rawClient';

const MAX_CLIENTS = 4;
let daemon: ListeningDaemon;
let bystander: DaemonClient;
const raws: RawClient[] = [];

before(async () => {
  daemon = await startListening({ maxClients: MAX_CLIENTS, frameTimeoutSeconds: 1 });
  bystander = await daemon.connect('bystander');
});
after(async () => {
  for (const r of raws) r.destroy();
  bystander?.dispose();
  await daemon?.stop();
});

async function raw(): Promise<RawClient> {
  const r = await RawClient.connect(daemon.socketPath);
  raws.push(r);
  return r;
}

/** Peak and current resident memory of a process, in MiB (/proc: VmHWM, VmRSS). */
function memory(pid: number | 'self'): { peak: number; rss: number } {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)![1]) / 1024;
  return { peak: kb('VmHWM'), rss: kb('VmRSS') };
}

/** Waits (up to 15 s) for the daemon's log to match: its stderr arrives through a pipe, a little after the fact. */
async function logged(re: RegExp): Promise<void> {
  for (let i = 0; i < 300 && !re.test(daemon.stderr()); i++) await new Promise((res) => setTimeout(res, 50));
  assert.match(daemon.stderr(), re);
}

async function bystanderServed(what: string): Promise<void> {
  const st = await bystander.status();
  assert.equal(st.pid, daemon.child.pid, `${what}: the bystander is answered`);
}

/**
 * Writes `total` bytes as 1 MiB frames, stopping when the peer has closed: well-formed for a
 * guard that read the first of two Content-Length headers, one endless body for a reader that
 * took the second (2 GB).
 */
async function flood(r: RawClient, total: number): Promise<void> {
  const body = 1024 * 1024 - 32;
  const chunk = Buffer.concat([Buffer.from(`Content-Length: ${body}\r\n\r\n`), Buffer.alloc(body, 'a')]);
  for (let sent = 0; sent < total && !r.isClosed && !r.socket.destroyed; sent += chunk.length) {
    if (!r.socket.write(chunk)) await Promise.race([new Promise((res) => r.socket.once('drain', res)), r.closed]);
  }
}

test('two Content-Length headers: the client is dropped at once, nothing is buffered; others are served', async (t) => {
  const pid = daemon.child.pid!;
  const before = memory(pid);
  const r = await raw();
  const t0 = performance.now();
  r.write('Content-Length: 10\r\nContent-Length: 2147483648\r\n\r\n0123456789');
  await flood(r, 96 * 1024 * 1024);
  const closed = await r.closedWithin(15_000);
  const ms = performance.now() - t0;
  const afterMem = memory(pid);
  t.diagnostic(`closed: ${closed}, after ${ms.toFixed(0)} ms; daemon peak RSS ${before.peak.toFixed(0)} → ${afterMem.peak.toFixed(0)} MiB while 96 MiB were offered`);
  assert.ok(closed, 'the daemon closed the connection');
  assert.ok(afterMem.peak - before.peak < 48, `the daemon did not buffer the flood (peak RSS +${(afterMem.peak - before.peak).toFixed(0)} MiB)`);
  await logged(/dropping a client that sent a frame with the content-length header twice/);
  // The same header twice with the same value, in another case, is refused just the same.
  const same = await raw();
  same.write('Content-Length: 2\r\ncontent-length: 2\r\n\r\n{}');
  assert.ok(await same.closedWithin(15_000), 'a repeated header with the same value is dropped too');
  await bystanderServed('after the duplicate headers');
});

test('a frame left incomplete past --frame-timeout-seconds drops that client; a client sending whole frames slowly is kept', async (t) => {
  const body = await raw();
  const head = await raw();
  const t0 = performance.now();
  body.write('Content-Length: 100\r\n\r\n{"jsonrpc":');
  head.write('Content-Length: 5\r\n');
  const steady = await RawClient.initialized(daemon.socketPath, 'steady');
  raws.push(steady);
  assert.ok(await body.closedWithin(20_000), 'a frame body that never completes');
  t.diagnostic(`time to refusal with --frame-timeout-seconds 1: ${(performance.now() - t0).toFixed(0)} ms`);
  assert.ok(await head.closedWithin(20_000), 'a header block that never ends');
  await logged(/dropping a client that sent a frame that did not complete within 1 s/);
  // Whole frames spread over more than the timeout are fine: the clock runs per frame.
  for (let i = 0; i < 6; i++) {
    const f = await steady.call('seglens/status', {});
    assert.ok(f.result, 'answered');
    await new Promise((res) => setTimeout(res, 300));
  }
  assert.equal(steady.isClosed, false, 'the steady client is still connected');
  await bystanderServed('after the incomplete frames');
});

test(`--max-clients ${MAX_CLIENTS}: one more connection is closed at once, with a log line; a freed slot serves again`, async () => {
  for (const r of raws.splice(0)) r.destroy();
  await new Promise((res) => setTimeout(res, 200)); // the daemon saw them close
  const others = [await daemon.connect('a'), await daemon.connect('b'), await daemon.connect('c')]; // + the bystander = 4
  // A raw socket that writes nothing: vscode-jsonrpc would turn a write into the closed socket into an unhandled EPIPE.
  const extra = await raw();
  assert.ok(await extra.closedWithin(15_000), 'the connection over the limit is closed by the daemon');
  await logged(new RegExp(`refusing a connection: ${MAX_CLIENTS} clients are connected \\(--max-clients ${MAX_CLIENTS}\\)`));
  assert.equal((await bystander.status()).clients, MAX_CLIENTS);
  others.pop()!.dispose();
  await new Promise((res) => setTimeout(res, 200));
  const again = await daemon.connect('after-a-slot-freed');
  assert.equal((await again.status()).clients, MAX_CLIENTS);
  for (const c of [...others, again]) c.dispose();
  await bystanderServed('after the refused connection');
});

/** A fake daemon on a private socket: answers every connection with `reply`, then `floodBytes` of junk. */
async function fakeDaemon(reply: string, floodBytes: number): Promise<{ path: string; close: () => void }> {
  const dir = path.join(tempDir('seglens-fake-'), 'run');
  fs.mkdirSync(dir, { mode: 0o700 });
  const sock = path.join(dir, 'daemon.sock');
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    const flood = async () => {
      s.write(reply);
      const chunk = Buffer.alloc(1024 * 1024, 'z');
      for (let sent = 0; sent < floodBytes && !s.destroyed; sent += chunk.length) {
        if (!s.write(chunk)) await new Promise((res) => (s.once('drain', res), s.once('close', res)));
      }
    };
    // Nothing waits for the flood: it stops when the client drops the socket (the test's point).
    s.once('data', () => void flood());
  });
  await new Promise<void>((res) => server.listen(sock, res));
  return { path: sock, close: () => (server.close(), fs.rmSync(path.dirname(dir), { recursive: true, force: true })) };
}

test('the Node client cuts off a daemon that sends a frame over its limit or two Content-Length headers', async (t) => {
  const huge = await fakeDaemon('Content-Length: 2147483648\r\n\r\n', 96 * 1024 * 1024);
  const dup = await fakeDaemon('Content-Length: 10\r\nContent-Length: 2147483648\r\n\r\n', 96 * 1024 * 1024);
  try {
    const before = memory('self');
    const t0 = performance.now();
    const c = await connectSocket(huge.path);
    await assert.rejects(c.initialize({ clientName: 'victim', initializeTimeoutMs: 20_000 }), /the SegLens daemon sent a frame of 2147483648 bytes/);
    const ms = performance.now() - t0;
    const c2 = await connectSocket(dup.path);
    await assert.rejects(c2.initialize({ clientName: 'victim', initializeTimeoutMs: 20_000 }), /content-length header twice/);
    assert.ok(c.isClosed && c2.isClosed);
    await assert.rejects(c.status(), /frame of 2147483648 bytes/, 'later requests get the same reason');
    const afterMem = memory('self');
    t.diagnostic(`client refused the daemon after ${ms.toFixed(0)} ms; client peak RSS ${before.peak.toFixed(0)} → ${afterMem.peak.toFixed(0)} MiB`);
    assert.ok(afterMem.peak - before.peak < 48, `the client did not buffer the flood (peak RSS +${(afterMem.peak - before.peak).toFixed(0)} MiB)`);
    // A lower limit, for callers that expect small answers.
    const small = await fakeDaemon(frame({ jsonrpc: '2.0', id: 0, result: 'x'.repeat(2 * 1024 * 1024) }).toString(), 0);
    try {
      const c3 = await connectSocket(small.path, 2_000, 1024 * 1024);
      await assert.rejects(c3.initialize({ clientName: 'small', initializeTimeoutMs: 20_000 }), /frame of \d+ bytes \(the limit is 1048576\)/);
    } finally {
      small.close();
    }
  } finally {
    huge.close();
    dup.close();
  }
  await bystanderServed('the real daemon, meanwhile');
});
