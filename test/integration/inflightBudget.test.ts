// Issue #13, item 4: a global budget for image bytes in flight (`--max-inflight-mb`), against
// the real daemon started with 1 MB: an image whose encoded bytes plus decoded pixels (from its
// header) exceed the budget gets 1005 at once, by path and as base64; of two that fit alone but
// not together, sent at once on a cold mode, one is refused; a small one is served after.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { ResponseError } from 'vscode-jsonrpc/node';
import { DaemonClient } from '../../daemon/api/client';
import { SegmentParams } from '../../daemon/api/protocol';
import { ListeningDaemon, startListening, tempDir } from '../helpers/daemonProcess';
import { samplesDir } from '../helpers/repo';

let daemon: ListeningDaemon;
let client: DaemonClient;
let scratch: string;
const file = (n: string) => path.join(scratch, n);

before(async () => {
  scratch = tempDir('seglens-inflight-');
  const photo = fs.readFileSync(path.join(samplesDir, 'text.png'));
  for (const [name, side] of [['big.png', 800], ['half1.png', 420], ['half2.png', 421], ['tiny.png', 96]] as const) {
    await sharp(photo).resize(side, side, { fit: 'fill' }).png().toFile(file(name));
  }
  daemon = await startListening({ warmupIterations: 1, preloadRecent: 0, maxInflightMb: 1 });
  client = await daemon.connect('inflight');
});
after(async () => {
  client?.dispose();
  await daemon?.stop();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

const outcome = (image: SegmentParams['image']) =>
  client.segment({ mode: 'text', image }).then(
    (r) => ({ ok: true as const, width: r.width }),
    (e: unknown) => {
      assert.ok(e instanceof ResponseError, String(e));
      return { ok: false as const, code: e.code, message: e.message };
    },
  );

test('past --max-inflight-mb a segment gets 1005 at once; the daemon goes on serving', async (t) => {
  // 800x800: 1.9 MB decoded, over the 1 MB budget on its own.
  for (const image of [{ path: file('big.png') }, { base64: fs.readFileSync(file('big.png')).toString('base64') }]) {
    const t0 = performance.now();
    const r = await outcome(image);
    t.diagnostic(`800x800 PNG (${'path' in image ? 'path' : 'base64'}): ${r.ok ? 'served' : r.code} after ${(performance.now() - t0).toFixed(1)} ms`);
    assert.equal(r.ok, false, 'an image over the budget was segmented');
    assert.equal(r.ok === false && r.code, 1005);
    assert.match(r.ok === false ? r.message : '', /in flight, the limit is 1\.0 MB \(--max-inflight-mb\)/);
  }
  // 420x420: about 0.5 MB decoded plus its file, which fits alone; two at once on a cold mode do not.
  const both = await Promise.all([outcome({ path: file('half1.png') }), outcome({ path: file('half2.png') })]);
  t.diagnostic(JSON.stringify(both.map((r) => (r.ok ? 'served' : r.code))));
  assert.equal(both.filter((r) => r.ok).length, 1, JSON.stringify(both));
  assert.equal(both.filter((r) => !r.ok && r.code === 1005).length, 1, JSON.stringify(both));
  // Released: each alone is served now, and so is a small one.
  for (const n of ['half1.png', 'half2.png', 'tiny.png']) assert.equal((await outcome({ path: file(n) })).ok, true, n);
});
