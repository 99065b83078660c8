// `accurate` must reproduce the reference ISNet pipeline (MODELS.md): its masks, through the
// real daemon, agree with an independent implementation written in the test. `sota` adds a
// flipped pass: it must really change the mask, and stay close to the reference.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DaemonClient } from '../../daemon/client';
import { startStdio } from '../helpers/daemonProcess';
import { decodeGreyPng, maskIoU, meanAbsDiff, ReferenceIsnet } from '../helpers/referencePipeline';
import { samplePhotos } from '../helpers/repo';

let client: DaemonClient;
let reference: ReferenceIsnet;
const photos = samplePhotos().filter((p) => !/text\./.test(p));

before(async () => {
  ({ client } = await startStdio(['--warmup-iterations', '1']));
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

test('sota runs its extra flipped pass: a different mask, close to accurate', async (t) => {
  for (const photo of photos) {
    const a = await client.segment({ mode: 'accurate', image: { path: photo } });
    const s = await client.segment({ mode: 'sota', image: { path: photo } });
    const ma = await decodeGreyPng(Buffer.from(a.maskPng, 'base64'));
    const ms = await decodeGreyPng(Buffer.from(s.maskPng, 'base64'));
    const iou = maskIoU(ma.data, ms.data);
    const mad = meanAbsDiff(ma.data, ms.data);
    t.diagnostic(`${photo.split('/').pop()}: sota vs accurate IoU ${iou.toFixed(4)}, mean |alpha diff| ${mad.toFixed(2)}/255, inference ${a.timings.inferenceMs} → ${s.timings.inferenceMs} ms`);
    assert.ok(mad > 0, 'the flipped pass changes the matte');
    assert.ok(iou >= 0.9, `sota stays close to accurate (IoU ${iou})`);
  }
});
