// seglens/cachedResults (issue 15) through the real daemon process, with the tests' own colour
// classifier: a folder segmented with `cache: true` comes back in one request without any
// inference; images never segmented, segmented with other options, or changed since are misses;
// the request does not wait behind engine work.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { DaemonClient } from '../../daemon/api/client';
import * as P from '../../daemon/api/protocol';
import { quadrantsPng } from '../helpers/buildModels';
import { startColorsDaemon } from '../helpers/colorsDaemon';
import { ListeningDaemon, tempDir } from '../helpers/daemonProcess';

let dir: string;
let daemon: ListeningDaemon;
let client: DaemonClient;
let inferences: () => Promise<number>;

const lookup = (paths: string[], extra: Partial<P.CachedResultsParams> = {}) => client.request(P.CachedResults, { mode: 'colors', images: paths.map((p) => ({ path: p })), ...extra });

before(async () => {
  dir = tempDir('seglens-cached-');
  ({ daemon, client, inferences } = await startColorsDaemon(dir, 'cached-results-test'));
});

after(async () => {
  client?.dispose();
  await daemon?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('cachedResults: hits are the stored answers, misses are said, nothing runs', async () => {
  const folder = path.join(dir, 'folder');
  fs.mkdirSync(folder);
  const files: string[] = [];
  for (let i = 0; i < 5; i++) {
    const f = path.join(folder, `img${i}.png`);
    fs.writeFileSync(f, await quadrantsPng(64 + i * 8, 48));
    files.push(f);
  }
  const segmented = await Promise.all(files.slice(0, 4).map((f) => client.segment({ mode: 'colors', image: { path: f }, cache: true, thumbnail: { size: 32 }, priority: 'batch' })));
  const n0 = await inferences();
  const missing = path.join(folder, 'gone.png');
  const r = await lookup([...files, missing], { thumbnail: { size: 32 } });
  assert.equal(await inferences(), n0, 'no inference');
  assert.equal(r.mode, 'colors');
  assert.deepEqual([r.hits, r.misses], [4, 2]);
  assert.deepEqual(r.results.map((e) => e.path), [...files, missing], 'in the request order');
  assert.deepEqual(r.results.map((e) => e.result !== undefined), [true, true, true, true, false, false]);
  for (let i = 0; i < 4; i++) {
    const got = r.results[i].result!;
    assert.equal(got.cached, true);
    assert.equal(got.maskPng, segmented[i].maskPng);
    assert.deepEqual(got.thumbnail, segmented[i].thumbnail);
    assert.deepEqual(got.classes, segmented[i].classes);
    assert.deepEqual([got.width, got.height], [64 + i * 8, 48]);
    assert.equal(got.timings.queueMs, 0);
  }
  // Other options are other answers: without the thumbnail, nothing was stored.
  const other = await lookup(files.slice(0, 4));
  assert.deepEqual([other.hits, other.misses], [0, 4]);
  // A changed file is a miss, the others still hit.
  fs.writeFileSync(files[1], await quadrantsPng(100, 60));
  const after = await lookup(files.slice(0, 4), { thumbnail: { size: 32 } });
  assert.deepEqual(after.results.map((e) => e.result !== undefined), [true, false, true, true]);
  // Once segmented again (with cache), it hits again, with its new size.
  await client.segment({ mode: 'colors', image: { path: files[1] }, cache: true, thumbnail: { size: 32 }, priority: 'batch' });
  const again = await lookup([files[1]], { thumbnail: { size: 32 } });
  assert.equal(again.results[0].result?.width, 100);
});

test('cachedResults: answered while engine work runs, not after it', async () => {
  const f = path.join(dir, 'small.png');
  fs.writeFileSync(f, await quadrantsPng(64, 48));
  await client.segment({ mode: 'colors', image: { path: f }, cache: true });
  const big = path.join(dir, 'big.png');
  fs.writeFileSync(big, await quadrantsPng(2400, 1800));
  const order: string[] = [];
  const batch = Array.from({ length: 4 }, () => client.segment({ mode: 'colors', image: { path: big }, priority: 'batch', thumbnail: { size: 256 } }).then(() => order.push('segment')));
  const cached = lookup([f]).then((r) => {
    order.push('cachedResults');
    assert.equal(r.hits, 1);
  });
  await Promise.all([...batch, cached]);
  assert.equal(order[0], 'cachedResults', `answered first: ${order.join(', ')}`);
});

test('cachedResults: bad params are -32602 and the daemon keeps serving', async () => {
  const bad = async (params: unknown) =>
    assert.rejects(client.request(P.CachedResults, params as P.CachedResultsParams), (e: { code: number }) => e.code === P.ErrorCodes.InvalidParams);
  await bad({ mode: 'colors', images: [] });
  await bad({ mode: 'colors', images: [{ base64: 'AAAA' }] });
  await bad({ mode: 'colors', images: Array.from({ length: P.CACHED_RESULTS_MAX_IMAGES + 1 }, () => ({ path: '/x.png' })) });
  await bad({ mode: 'nope', images: [{ path: '/x.png' }] });
  await bad({ mode: 'colors', images: [{ path: '/x.png' }], thumbnail: { size: 2 } });
  assert.equal((await client.status()).pid > 0, true);
});
