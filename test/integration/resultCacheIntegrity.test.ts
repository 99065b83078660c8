// The result cache is private and checked (issue #20), through the real daemon process: its
// folder is 0700 and its entries 0600; an entry edited on disk is not served (a fresh inference
// runs and a sound entry replaces it); an answer is stored under the content the engine read,
// so a file rewritten while its request waited cannot put its mask under the old content.
// seglens/cachedResults lookups are bounded like requests: a 4 GiB sparse file and a FIFO
// named .png answer at once with that image's error, and the daemon keeps serving.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { DaemonClient } from '../../daemon/api/client';
import * as P from '../../daemon/api/protocol';
import { RESULTS_DIR } from '../../daemon/results/resultCache';
import { quadrantsPng } from '../helpers/buildModels';
import { startColorsDaemon } from '../helpers/colorsDaemon';
import { ListeningDaemon, metric, tempDir } from '../helpers/daemonProcess';

let dir: string;
let daemon: ListeningDaemon;
let client: DaemonClient;
let inferences: () => Promise<number>;
const posix = process.platform !== 'win32';

before(async () => {
  dir = tempDir('seglens-cache-integrity-');
  ({ daemon, client, inferences } = await startColorsDaemon(dir, 'cache-integrity-test'));
});

after(async () => {
  client?.dispose();
  await daemon?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const resultsDir = () => path.join(daemon.cacheDir, RESULTS_DIR);
const entries = () => fs.readdirSync(resultsDir()).filter((n) => /^[0-9a-f]{64}\.json$/.test(n));
const cached = (file: string) => client.segment({ mode: 'colors', image: { path: file }, cache: true, thumbnail: { size: 32 } });
const lookup = (files: string[]) => client.request(P.CachedResults, { mode: 'colors', images: files.map((f) => ({ path: f })), thumbnail: { size: 32 } });
const mode = (p: string) => fs.statSync(p).mode & 0o777;

test('result cache: a private folder (0700) of private entries (0600), each with its digest', async (t) => {
  const f = path.join(dir, 'private.png');
  fs.writeFileSync(f, await quadrantsPng(64, 48));
  await cached(f);
  if (!posix) return t.skip('no POSIX modes');
  assert.equal(mode(resultsDir()).toString(8), '700');
  assert.ok(entries().length >= 1);
  for (const e of entries()) {
    assert.equal(mode(path.join(resultsDir(), e)).toString(8), '600', e);
    assert.match(fs.readFileSync(path.join(resultsDir(), e), 'utf8'), /^[0-9a-f]{64}\n\{/, 'a digest line, then the answer');
  }
});

test('result cache: a tampered entry is not served; a fresh inference replaces it', async () => {
  const f = path.join(dir, 'tampered.png');
  fs.writeFileSync(f, await quadrantsPng(72, 48));
  const before = new Set(entries());
  const first = await cached(f);
  const [entry] = entries().filter((e) => !before.has(e));
  assert.ok(entry, 'one new entry');
  const file = path.join(resultsDir(), entry);
  const n0 = await inferences();
  assert.equal((await cached(f)).cached, true, 'a sound entry is served');
  // An edit that keeps the entry well-formed: only the digest can tell.
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"width":72', '"width":7'));
  const again = await cached(f);
  assert.notEqual(again.cached, true, 'not served');
  assert.equal(again.width, 72);
  assert.equal(await inferences(), n0 + 1, 'a fresh inference ran');
  assert.equal(again.maskPng, first.maskPng);
  assert.match(fs.readFileSync(file, 'utf8'), /"width":72/, 'the entry was replaced by a sound one');
  assert.equal((await cached(f)).cached, true, 'and that one is served');
  // Through cachedResults too: a miss, and the bad entry is removed.
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"width":72', '"width":7'));
  const r = await lookup([f]);
  assert.deepEqual([r.hits, r.misses, r.results[0].result], [0, 1, undefined]);
  assert.equal(fs.existsSync(file), false, 'removed');
});

test('result cache: an answer is stored under the content the engine segmented', async () => {
  const f = path.join(dir, 'changing.png');
  const [a, b] = [await quadrantsPng(88, 66), await quadrantsPng(80, 60)]; // contents no other test segments
  fs.writeFileSync(f, a);
  const big = path.join(dir, 'big.png');
  fs.writeFileSync(big, await quadrantsPng(2400, 1800));
  const misses = async () => metric((await client.metrics()).text, 'seglens_result_cache_total', { outcome: 'miss' });
  const m0 = await misses();
  // Batch jobs ahead of it keep the engine busy: the request has looked the file up (a miss) long before the engine reads it.
  const busy = Array.from({ length: 6 }, () => client.segment({ mode: 'colors', image: { path: big }, priority: 'batch', thumbnail: { size: 256 } }));
  const answer = client.segment({ mode: 'colors', image: { path: f }, cache: true, thumbnail: { size: 32 }, priority: 'batch' });
  let settled = false;
  void answer.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled && (await misses()) === m0) await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'the request waits behind the batch');
  fs.writeFileSync(f, b); // after the lookup, before the engine reads it
  const r = await answer;
  await Promise.all(busy);
  assert.equal(r.width, 80, 'the engine segmented the new content');
  const now = await lookup([f]);
  assert.equal(now.results[0].result?.maskPng, r.maskPng, 'stored under the new content');
  fs.writeFileSync(f, a);
  assert.equal((await lookup([f])).hits, 0, 'nothing stored under the old content');
});

test('cachedResults: a 4 GiB sparse file and a FIFO are that image\'s error, at once; the daemon serves on', async (t) => {
  if (!posix) return t.skip('FIFOs and sparse files: POSIX');
  const sparse = path.join(dir, 'huge.png');
  fs.writeFileSync(sparse, '');
  fs.truncateSync(sparse, 4 * 1024 ** 3);
  const fifo = path.join(dir, 'pipe.png');
  execFileSync('mkfifo', [fifo]);
  const ok = path.join(dir, 'ok.png');
  fs.writeFileSync(ok, await quadrantsPng(64, 48));
  await cached(ok);
  const r = await lookup([sparse, fifo, ok, path.join(dir, 'missing.png')]);
  assert.deepEqual([r.hits, r.misses], [1, 3]);
  const [huge, pipe, hit, missing] = r.results;
  assert.equal(huge.error?.code, P.ErrorCodes.ImageTooLarge, JSON.stringify(huge));
  assert.match(huge.error!.message, /--max-image-bytes/);
  assert.equal(pipe.error?.code, P.ErrorCodes.ImageNotFound, JSON.stringify(pipe));
  assert.match(pipe.error!.message, /FIFO/);
  assert.equal(hit.result?.cached, true);
  assert.equal(missing.error?.code, P.ErrorCodes.ImageNotFound);
  assert.ok((await client.status()).pid > 0, 'serving');
  assert.equal((await cached(ok)).cached, true, 'and answering from the cache');
});
