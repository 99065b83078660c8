// Issue #7, load through the real daemon on raw sockets (every frame seen, so an answer lost or
// sent twice would show):
//  - 10 clients x 20 requests of mixed modes (`text`, and one `fast` per client: a single ISNet
//    shape keeps it short), all sent at once: each request answered exactly once, each client's
//    answers in the order it asked, each answer the one for its request (every request sends an
//    image of its own size, its tag), counts exact in the daemon's metrics.
//  - a soak on `text` with a tiny image: SEGLENS_SOAK_REQUESTS requests (default 1,000 in CI,
//    CI=true, about 2 minutes on 2 cores; 200 elsewhere so a developer's `npm test` stays
//    short); `text` rather than `fast` because fast's fixed 512x512 inference would make 1,000
//    requests take 10 minutes or more here. RSS (seglens/status rssBytes) may grow less than 10% from after the
//    warm-up burst to the end.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { DaemonClient } from '../../daemon/api/client';
import type { SegmentResult } from '../../daemon/api/protocol';
import { ListeningDaemon, metric, startListening } from '../helpers/daemonProcess';
import { Frame, RawClient } from '../helpers/rawClient';

const CLIENTS = 10;
const PER_CLIENT = 20;
const SOAK = Number(process.env.SEGLENS_SOAK_REQUESTS ?? (process.env.CI === 'true' ? 1000 : 200));
const WARMUP_BURST = 40;

let daemon: ListeningDaemon;
let admin: DaemonClient;
const raws: RawClient[] = [];

before(async () => {
  daemon = await startListening({ warmupIterations: 1, maxQueue: 512 });
  admin = await daemon.connect('load-admin');
  await admin.ensureReady('text');
  await admin.ensureReady('fast');
});
after(async () => {
  for (const r of raws) r.destroy();
  admin?.dispose();
  await daemon?.stop();
});

/** A small PNG of its own size: the size tags the request. */
async function tagged(width: number, height: number): Promise<string> {
  const buf = await sharp({ create: { width, height, channels: 3, background: { r: (width * 7) % 256, g: (height * 13) % 256, b: 90 } } })
    .png()
    .toBuffer();
  return buf.toString('base64');
}

const segOk = async (c: DaemonClient) => metric((await c.metrics()).text, 'seglens_requests_total', { method: 'seglens/segment', outcome: 'ok' });

/** Checks one client's frames: one answer per request, in order, each the right one. */
function checkAnswers(who: string, sent: { id: number | string; mode: string; w: number; h: number }[], frames: Frame[]): void {
  const answers = frames.filter((f) => f.method === undefined && f.id !== undefined && typeof f.id === 'number' && f.id >= 1000);
  assert.deepEqual(
    answers.map((f) => f.id),
    sent.map((s) => s.id),
    `${who}: every request answered once, in the order sent`,
  );
  for (const [i, f] of answers.entries()) {
    assert.equal(f.error, undefined, `${who} request ${i}: ${JSON.stringify(f.error)}`);
    const r = f.result as SegmentResult;
    assert.deepEqual([r.mode, r.width, r.height], [sent[i].mode, sent[i].w, sent[i].h], `${who} request ${i} got its own answer`);
  }
}

test(`${CLIENTS} clients x ${PER_CLIENT} mixed requests at once: none lost, none twice, each client's in order`, async (t) => {
  const okBefore = await segOk(admin);
  const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => RawClient.initialized(daemon.socketPath, `load-${i}`)));
  raws.push(...clients);
  const plans = await Promise.all(
    clients.map(async (_, ci) =>
      Promise.all(
        Array.from({ length: PER_CLIENT }, async (_, j) => {
          const w = 40 + j;
          const h = 30 + ci;
          return { id: 1000 + j, mode: j === 10 ? 'fast' : 'text', w, h, base64: await tagged(w, h) };
        }),
      ),
    ),
  );
  const t0 = performance.now();
  clients.forEach((c, ci) => {
    for (const p of plans[ci]) c.request('seglens/segment', { mode: p.mode, image: { base64: p.base64 } }, p.id);
  });
  // While 200 requests wait, status is answered without waiting behind them: it comes back
  // while most of them are still unanswered (an order, not a time: these machines are noisy).
  const s0 = performance.now();
  const st = await admin.status();
  const statusMs = performance.now() - s0;
  const answered = clients.reduce((n, c) => n + c.responses().length, 0);
  assert.ok(answered < (CLIENTS * PER_CLIENT) / 2, `status came back only after ${answered} of ${CLIENTS * PER_CLIENT} segment answers`);
  assert.equal(st.clients, CLIENTS + 1);
  await Promise.all(clients.map((c, ci) => c.until(() => c.responses().length >= PER_CLIENT + 1, 600_000, `the answers of client ${ci}`)));
  const seconds = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 200)); // anything sent twice would arrive now
  clients.forEach((c, ci) => checkAnswers(`client ${ci}`, plans[ci], c.frames));
  const okAfter = await segOk(admin);
  assert.equal(okAfter - okBefore, CLIENTS * PER_CLIENT, 'the daemon counted exactly one successful segment per request');
  t.diagnostic(`load: ${CLIENTS * PER_CLIENT} requests (${CLIENTS} fast) in ${seconds.toFixed(1)} s, status answered in ${Math.round(statusMs)} ms meanwhile`);
  for (const c of clients) c.destroy();
});

test(`soak: ${SOAK} text requests on a tiny image, RSS grows less than 10% after warm-up`, async (t) => {
  const image = await tagged(24, 16);
  const clients = await Promise.all(Array.from({ length: 4 }, (_, i) => RawClient.initialized(daemon.socketPath, `soak-${i}`)));
  raws.push(...clients);
  let nextId = 1000;
  /** `n` requests spread over the clients, at most `window` in flight per client. */
  const run = async (n: number, window = 4) => {
    let left = n;
    await Promise.all(
      clients.map(async (c) => {
        const inFlight: Promise<Frame>[] = [];
        const sent: (number | string)[] = [];
        while (left > 0 || inFlight.length > 0) {
          while (left > 0 && inFlight.length < window) {
            left--;
            const id = c.request('seglens/segment', { mode: 'text', image: { base64: image } }, nextId++);
            sent.push(id);
            inFlight.push(c.response(id, 120_000));
          }
          const f = await inFlight.shift()!;
          assert.equal(f.error, undefined, JSON.stringify(f.error));
          assert.equal((f.result as SegmentResult).width, 24);
        }
        const answered = c.responses().filter((f) => typeof f.id === 'number' && f.id >= 1000);
        assert.equal(answered.length, new Set(answered.map((f) => f.id)).size, 'no request answered twice');
        assert.ok(sent.every((id) => answered.some((f) => f.id === id)), 'no request lost');
        // Keep memory of the test itself flat: forget the frames seen so far.
        c.frames.length = 0;
      }),
    );
  };
  const okBefore = await segOk(admin);
  await run(WARMUP_BURST);
  const rssWarm = (await admin.status()).rssBytes;
  const t0 = performance.now();
  const samples: number[] = [];
  const chunk = Math.max(20, Math.floor(SOAK / 5));
  for (let done = 0; done < SOAK; done += chunk) {
    await run(Math.min(chunk, SOAK - done));
    samples.push((await admin.status()).rssBytes);
  }
  const seconds = (performance.now() - t0) / 1000;
  const rssEnd = samples[samples.length - 1];
  const growth = (rssEnd - rssWarm) / rssWarm;
  assert.equal((await segOk(admin)) - okBefore, WARMUP_BURST + SOAK, 'exactly one successful segment per request');
  const mb = (b: number) => Math.round(b / 1048576);
  t.diagnostic(
    `soak: ${SOAK} requests in ${seconds.toFixed(1)} s (${((seconds * 1000) / SOAK).toFixed(0)} ms each); RSS after warm-up ${mb(rssWarm)} MiB, ` +
      `samples ${samples.map(mb).join(', ')} MiB, end ${mb(rssEnd)} MiB: growth ${(growth * 100).toFixed(1)}%`,
  );
  assert.ok(growth < 0.1, `RSS grew ${(growth * 100).toFixed(1)}% (from ${mb(rssWarm)} to ${mb(rssEnd)} MiB)`);
  for (const c of clients) c.destroy();
});
