// Issue #7, hostile protocol against the real daemon: raw socket writes for the framing cases.
// The daemon never crashes, a misbehaving client may be dropped, and another client (the
// bystander) keeps being served throughout: each case checks it while and after it happens.
// Covered elsewhere: -32601/-32602 through the typed client, 1005 and -32800 on one client
// (errors.test.ts); here the same codes come back over raw frames with a second client watching.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { DaemonClient } from '../../daemon/api/client';
import { FrameGuard, frameLimitFor, MAX_FRAME_BYTES } from '../../daemon/api/frameGuard';
import { ListeningDaemon, metric, startListening } from '../helpers/daemonProcess';
import { frame, RawClient } from '../helpers/rawClient';
import { samplesDir } from '../helpers/repo';
import * as path from 'node:path';

const MAX_QUEUE = 4;
let daemon: ListeningDaemon;
let bystander: DaemonClient;
let tiny: string;
const raws: RawClient[] = [];

before(async () => {
  daemon = await startListening({ warmupIterations: 1, maxQueue: MAX_QUEUE });
  bystander = await daemon.connect('bystander');
  await bystander.ensureReady('text');
  tiny = (await sharp(fs.readFileSync(path.join(samplesDir, 'text.png'))).resize(96).png().toBuffer()).toString('base64');
});
after(async () => {
  for (const r of raws) r.destroy();
  bystander?.dispose();
  await daemon?.stop();
});

async function raw(name = 'raw'): Promise<RawClient> {
  const r = await RawClient.initialized(daemon.socketPath, name);
  raws.push(r);
  return r;
}

/** The bystander's status answers and a segment still works; the daemon process lives. */
async function bystanderServed(what: string, segment = true): Promise<void> {
  // A daemon stuck on the hostile client would never answer: 15 s turns that into a clear failure.
  const st = await Promise.race([
    bystander.status(),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: the bystander's status got no answer`)), 15_000).unref()),
  ]);
  assert.equal(st.pid, daemon.child.pid);
  if (segment) {
    const r = await bystander.segment({ mode: 'text', image: { base64: tiny } });
    assert.equal(r.width, 96, `${what}: the bystander's segment answered`);
  }
  assert.equal(daemon.child.exitCode, null, `${what}: the daemon is alive`);
}

const errorCode = (f: { error?: { code: number } }) => f.error?.code;

test('unknown method -32601, wrong parameter types and unknown mode -32602 (raw frames)', async () => {
  const r = await raw('bad-params');
  assert.equal(errorCode(await r.call('seglens/noSuchMethod', {})), -32601);
  const bad: [string, unknown][] = [
    ['seglens/ensureReady', { mode: 'no-such-mode' }],
    ['seglens/ensureReady', { mode: 42 }],
    ['seglens/ensureReady', 'text'],
    ['seglens/ensureReady', { mode: 'text', warmup: 'yes' }],
    ['seglens/segment', { mode: 'text', image: { path: 7 } }],
    ['seglens/segment', { mode: 'text', image: { base64: 7 } }],
    ['seglens/segment', { mode: 'text', image: 'a.png' }],
    ['seglens/segment', { mode: 'text', image: {} }],
    ['seglens/segment', { mode: 'text', image: { base64: '!!!!' } }],
    ['seglens/segment', { mode: ['text'], image: { base64: tiny } }],
    ['seglens/segment', [1, 2, 3]],
    ['seglens/segment', [{ mode: 'text', image: { base64: tiny } }, 'not a cancellation token']],
    ['seglens/warmup', { mode: 'text', iterations: 0 }],
    ['seglens/warmup', { mode: 'text', iterations: 1.5 }],
    ['seglens/unload', { mode: 'no-such-mode' }],
    ['initialize', { clientName: 'x', protocolVersion: 99 }],
  ];
  for (const [method, params] of bad) {
    const f = await r.call(method, params);
    assert.equal(errorCode(f), -32602, `${method} ${JSON.stringify(params).slice(0, 60)}: ${JSON.stringify(f).slice(0, 200)}`);
    assert.ok(f.error!.message.length > 10, 'with a message a person can act on');
  }
  assert.equal(r.isClosed, false, 'bad params never cost the connection');
  await bystanderServed('after bad params');
});

test('malformed frames: the daemon lives, the sender may be dropped, others are served', async () => {
  const cases: [string, Buffer | string][] = [
    ['invalid JSON', frame('{"jsonrpc":"2.0","id":1,"method":')],
    ['JSON that is not a message', frame('42')],
    ['null', frame('null')],
    ['an empty batch', frame('[]')],
    ['a request whose method is a number', frame('{"jsonrpc":"2.0","id":5,"method":12}')],
    ['a request whose id is an object', frame('{"jsonrpc":"2.0","id":{"a":1},"method":"seglens/status","params":{}}')],
    ['invalid UTF-8', Buffer.concat([Buffer.from('Content-Length: 4\r\n\r\n'), Buffer.from([0xff, 0xfe, 0xfd, 0xfc])])],
    ['no Content-Length', 'Content-Type: application/json\r\n\r\n{}'],
    ['a non-numeric Content-Length', 'Content-Length: lots\r\n\r\n{}'],
    ['a negative Content-Length', 'Content-Length: -5\r\n\r\n{"jsonrpc":"2.0"}'],
    ['a header line without a colon', 'this is not a header\r\n\r\n'],
  ];
  for (const [what, bytes] of cases) {
    const r = await raw(what);
    r.write(bytes);
    // Either the daemon drops this client, or it keeps answering it.
    const dropped = await r.closedWithin(300);
    if (!dropped) {
      const f = await r.call('seglens/status', {}, 5000).catch((e: Error) => e);
      assert.ok(f instanceof Error ? r.isClosed : typeof (f.result as { pid?: number })?.pid === 'number', `${what}: the client is either dropped or still served`);
    }
    await bystanderServed(`after ${what}`, false);
  }
  await bystanderServed('after the malformed frames');
});

test('a Content-Length of 2 GB: that client is dropped at once with a log line; nothing is buffered', async () => {
  const rssBefore = (await bystander.status()).rssBytes;
  const r = await raw('huge-frame');
  r.write('Content-Length: 2147483648\r\n\r\n');
  // Keep sending: without the guard the daemon would buffer it all, waiting for 2 GB.
  const junk = Buffer.alloc(1024 * 1024, 0x61);
  let sent = 0;
  while (!r.isClosed && sent < 64) {
    if (!r.socket.write(junk)) await new Promise((res) => setTimeout(res, 5));
    sent++;
  }
  assert.ok(await r.closedWithin(3000), 'the daemon closed the connection');
  await bystanderServed('after a 2 GB Content-Length');
  assert.match(daemon.stderr(), /dropping a client that sent a frame of 2147483648 bytes/);
  const rssAfter = (await bystander.status()).rssBytes;
  assert.ok(rssAfter - rssBefore < 48 * 1024 * 1024, `the daemon did not buffer the junk (RSS ${Math.round((rssAfter - rssBefore) / 1048576)} MiB more)`);

  // Header bytes that never end: dropped too.
  const h = await raw('endless-header');
  h.write('Content-Length: 10\r\nX-Padding: ' + 'a'.repeat(64 * 1024));
  assert.ok(await h.closedWithin(3000), 'a header that never ends is dropped');
  assert.match(daemon.stderr(), /dropping a client that sent a frame header longer than/);
  await bystanderServed('after an endless header');
});

test('frames split at every byte and several frames in one write are read correctly', async () => {
  const r = await raw('fragmented');
  const bytes = Buffer.concat([frame({ jsonrpc: '2.0', id: 'a', method: 'seglens/status', params: {} }), frame({ jsonrpc: '2.0', id: 'b', method: 'seglens/status', params: {} })]);
  for (const b of bytes.subarray(0, 60)) r.write(Buffer.from([b]));
  r.write(bytes.subarray(60));
  assert.equal(((await r.response('a')).result as { pid: number }).pid, daemon.child.pid);
  assert.equal(((await r.response('b')).result as { pid: number }).pid, daemon.child.pid);
});

test('a client that disconnects mid-request: its waiting jobs are dropped, others are served', async () => {
  const before = metric((await bystander.metrics()).text, 'seglens_requests_total', { method: 'seglens/segment', outcome: 'cancelled' });
  const r = await raw('leaver');
  for (let i = 0; i < MAX_QUEUE; i++) r.request('seglens/segment', { mode: 'text', image: { base64: tiny } });
  await new Promise((res) => setTimeout(res, 100)); // the requests reached the daemon and wait
  r.destroy();
  await bystanderServed('right after the leaver left');
  const text = (await bystander.metrics()).text;
  const cancelled = metric(text, 'seglens_requests_total', { method: 'seglens/segment', outcome: 'cancelled' }) - before;
  assert.ok(cancelled >= MAX_QUEUE - 2, `the leaver's waiting segments were dropped, not run (${cancelled} of ${MAX_QUEUE} cancelled)`);
});

test('a flood past the queue limit: 1005 for the excess, cancellation while queued -32800, bystander served', async () => {
  const r = await raw('flooder');
  const rejectedBefore = metric((await bystander.metrics()).text, 'seglens_queue_rejected_total');
  const ids = Array.from({ length: 20 }, () => r.request('seglens/segment', { mode: 'text', image: { base64: tiny } }));
  // While the flood is being answered, another client's status is answered.
  await bystanderServed('during the flood', false);
  r.notify('$/cancelRequest', { id: ids[2] });
  const answers = await Promise.all(ids.map((id) => r.response(id, 60_000)));
  const codes = answers.map((f) => (f.error ? f.error.code : 'ok'));
  assert.equal(codes[0], 'ok', `the first runs: ${codes}`);
  assert.equal(codes[2], -32800, `the cancelled waiting request: ${codes}`);
  const refused = codes.filter((c) => c === 1005).length;
  // One runs and MAX_QUEUE wait; slots freed meanwhile (a finished job, the cancelled one) let a few more in.
  assert.ok(refused >= 10, `the excess is refused with 1005 (${refused}): ${codes}`);
  assert.ok(codes.filter((c) => c === 'ok').length >= MAX_QUEUE, `the queue was used to its limit: ${codes}`);
  assert.equal(codes.filter((c) => c === 'ok').length + refused + 1, 20, `every request answered once: ${codes}`);
  assert.equal(r.responses().length, 20 + 1, 'exactly one answer per request (+ initialize)');
  const rejected = metric((await bystander.metrics()).text, 'seglens_queue_rejected_total') - rejectedBefore;
  assert.equal(rejected, refused, 'seglens_queue_rejected_total counts every 1005');
  await bystanderServed('after the flood');
});

test('FrameGuard (unit): frames pass unchanged whatever the chunking; limits drop the sender', async () => {
  const run = async (chunks: Buffer[], maxFrame = 1000, maxHeader = 64) => {
    const why: string[] = [];
    const g = new FrameGuard((w) => why.push(w), maxFrame, maxHeader);
    const out: Buffer[] = [];
    g.on('data', (d: Buffer) => out.push(d));
    for (const c of chunks) g.write(c);
    g.end();
    await new Promise((r) => g.once('end', r));
    return { out: Buffer.concat(out), why };
  };
  const msgs = Buffer.concat([frame({ a: 1 }), frame(''), frame({ b: 'x'.repeat(300) }), frame({ c: [1, 2, 3] })]);
  for (const size of [1, 2, 3, 7, 25, 1000]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < msgs.length; i += size) chunks.push(msgs.subarray(i, i + size));
    const { out, why } = await run(chunks);
    assert.deepEqual(why, [], `chunks of ${size}`);
    assert.ok(out.equals(msgs), `chunks of ${size}: passed through unchanged`);
  }
  assert.match((await run([frame('x'.repeat(1001))])).why[0], /frame of 1001 bytes/);
  assert.match((await run([Buffer.from('Content-Length: 1\r\nX: ' + 'y'.repeat(100))])).why[0], /header longer than 64/);
  assert.match((await run([Buffer.from('Content-Length: -1\r\n\r\n')])).why[0], /invalid Content-Length/);
  assert.match((await run([Buffer.from('Content-Type: x\r\n\r\n')])).why[0], /without Content-Length/);
  // The limit lets a base64 image up to --max-image-bytes through (to be refused with 1003 if over).
  assert.equal(frameLimitFor(300_000), MAX_FRAME_BYTES);
  const mib100 = 100 * 1024 * 1024;
  assert.ok(frameLimitFor(mib100) >= Math.ceil(mib100 / 3) * 4 + 1000, 'the default 100 MiB image fits in a frame as base64');
  // After a violation nothing more passes.
  const after = await run([Buffer.from('Content-Length: 5000\r\n\r\n'), frame({ a: 1 })]);
  assert.equal(after.out.length, 0);
});
