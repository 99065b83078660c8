// `accurate` must reproduce the reference ISNet pipeline (docs/models.md): its masks, through the
// real daemon, agree with an independent implementation written in the test. `sota` adds a
// flipped pass: it must really change the mask, and be the average of the two passes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { DaemonClient } from '../../daemon/api/client';
import { startStdio } from '../helpers/daemonProcess';
import { decodeGreyPng, maskIoU, meanAbsDiff, ReferenceIsnet } from '../helpers/referencePipeline';
import { samplePhotos } from '../helpers/repo';

let client: DaemonClient;
let reference: ReferenceIsnet;
const photos = samplePhotos().filter((p) => !/text\./.test(p));

before(async () => {
  ({ client } = await startStdio({ warmupIterations: 1 }));
  reference = await ReferenceIsnet.create();
});
after(async () => {
  await reference.release();
  client.dispose();
});

test('accurate agrees with the reference pipeline (IoU at 0.5 >= 0.98) on every sample photo', async (t) => {
  assert.ok(photos.length >= 3, 'several photos');
  for (const photo of photos) {
    const r = await client.segment({ mode: 'accurate', image: { path: photo } });
    const mask = await decodeGreyPng(Buffer.from(r.maskPng, 'base64'));
    assert.equal(mask.channels, 1, 'maskPng is 8-bit grey');
    const ref = await reference.run(photo);
    assert.deepEqual([mask.width, mask.height], [ref.width, ref.height]);
    assert.deepEqual([r.width, r.height], [ref.width, ref.height]);
    const iou = maskIoU(mask.data, ref.alpha);
    const mad = meanAbsDiff(mask.data, ref.alpha);
    t.diagnostic(`${photo.split('/').pop()}: IoU ${iou.toFixed(4)}, mean |alpha diff| ${mad.toFixed(2)}/255`);
    assert.ok(iou >= 0.98, `IoU ${iou} for ${photo}`);
  }
});

// sota = mean of the plain pass and the un-flipped pass on the mirrored input (the engine
// mirrors the resized tensor). From outside, the same average is approximately
// (accurate(photo) + flip(accurate(flip(photo)))) / 2. Not exactly: with the reference's
// top-left-aligned resampling, mirroring and resizing do not commute (a source offset of
// srcW/1024 - 1 pixels), and the engine averages 1024² probabilities before quantising and
// resizing while this averages two 8-bit full-size masks (±1 per pixel). So the check is in
// mean |alpha| terms: sota sits within 2/255 of that average (measured: 0.10-1.21, rocket the
// largest), and at most 0.4 times as far from it as from plain `accurate` (measured 0.14-0.27):
// the second pass really ran and was mirrored back the right way. An IoU of sota
// vs accurate is no check at all on rocket.jpg, whose matte has large regions near 0.5.
test('sota is the average of accurate and the mirrored pass (structural check)', async (t) => {
  for (const photo of photos) {
    const name = photo.split('/').pop();
    const a = await client.segment({ mode: 'accurate', image: { path: photo } });
    const s = await client.segment({ mode: 'sota', image: { path: photo } });
    const mirrored = await sharp(photo).rotate().flop().png({ compressionLevel: 1 }).toBuffer();
    const f = await client.segment({ mode: 'accurate', image: { base64: mirrored.toString('base64') } });
    const ma = await decodeGreyPng(Buffer.from(a.maskPng, 'base64'));
    const ms = await decodeGreyPng(Buffer.from(s.maskPng, 'base64'));
    const mf = await decodeGreyPng(Buffer.from(f.maskPng, 'base64'));
    const { width: W, height: H } = ma;
    assert.deepEqual([ms.width, ms.height, mf.width, mf.height], [W, H, W, H]);
    const expected = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) expected[y * W + x] = Math.round((ma.data[y * W + x] + mf.data[y * W + (W - 1 - x)]) / 2);
    }
    const toExpected = meanAbsDiff(ms.data, expected);
    const toAccurate = meanAbsDiff(ms.data, ma.data);
    t.diagnostic(
      `${name}: sota vs (accurate + mirrored)/2: mean |alpha diff| ${toExpected.toFixed(2)}/255, IoU ${maskIoU(ms.data, expected).toFixed(4)}; ` +
        `sota vs accurate: ${toAccurate.toFixed(2)}/255, IoU ${maskIoU(ms.data, ma.data).toFixed(4)}; inference ${a.timings.inferenceMs.toFixed(0)} → ${s.timings.inferenceMs.toFixed(0)} ms`,
    );
    assert.ok(toAccurate > 0, 'the flipped pass changes the matte');
    assert.ok(toExpected <= 2, `sota is the average of the two passes (mean |diff| ${toExpected}/255)`);
    assert.ok(toExpected <= 0.4 * toAccurate, `sota is much closer to the two-pass average (${toExpected}) than to plain accurate (${toAccurate})`);
  }
});
