// Issue 22 through the real daemon process, with the real ISNet model and the sample photos:
// `seglens/segment` with a `region` runs the mode's whole pipeline on the crop, so its mask is,
// pixel for pixel, the mask of a PNG of the same crop (made here with sharp from the same
// oriented decode), EXIF-oriented JPEG included; bad regions are -32602 and the daemon keeps
// serving; a region is its own result-cache entry. Then the composite sample of two subjects
// (test/helpers/composite.ts): the whole image's mask covers the subject the model prefers, and a
// box around the other one (plus 10%) gives that subject's own mask.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { ResponseError } from 'vscode-jsonrpc/node';
import { DaemonClient } from '../../daemon/api/client';
import * as P from '../../daemon/api/protocol';
import { buildComposite, CompositeSample, foregroundBox, withMargin } from '../helpers/composite';
import { startStdio, tempDir } from '../helpers/daemonProcess';
import { decodeGreyPng } from '../helpers/referencePipeline';
import { samplesDir } from '../helpers/repo';

let client: DaemonClient;
let dir: string;
const sample = (name: string) => path.join(samplesDir, name);
const isInvalid = (re: RegExp) => (e: unknown) => e instanceof ResponseError && e.code === P.ErrorCodes.InvalidParams && re.test(e.message);

before(async () => {
  dir = tempDir('seglens-region-');
  ({ client } = await startStdio({ warmupIterations: 1 }));
});
after(() => {
  client?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The oriented image as the daemon decodes it (first frame, EXIF orientation, sRGB, no alpha), cropped in the raw pixels, as a PNG. */
async function cropPng(file: string, r: P.DisplayRegion): Promise<Buffer> {
  const { data, info } = await sharp(file).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } }).extract(r).png({ compressionLevel: 1 }).toBuffer();
}

async function mask(r: P.SegmentResult): Promise<{ width: number; height: number; data: Uint8Array }> {
  return decodeGreyPng(Buffer.from(r.maskPng, 'base64'));
}

/** The region's answer equals the crop file's, pixel for pixel; `width`/`height` are the image's.
 *  `subject`: the crop holds a subject, so the comparison is not of two empty masks. */
async function assertSameAsCrop(mode: string, file: string, region: P.DisplayRegion, size: [number, number], subject = true): Promise<void> {
  const r = await client.segment({ mode, image: { path: file }, region });
  const c = await client.segment({ mode, image: { base64: (await cropPng(file, region)).toString('base64') } });
  const what = `${mode} ${path.basename(file)} ${JSON.stringify(region)}`;
  assert.deepEqual(r.region, region, `${what}: the region is echoed`);
  assert.deepEqual([r.width, r.height], size, `${what}: width/height stay the image's`);
  assert.deepEqual([c.width, c.height], [region.width, region.height]);
  const [a, b] = [await mask(r), await mask(c)];
  assert.deepEqual([a.width, a.height], [region.width, region.height], `${what}: the mask is region-sized`);
  assert.ok(Buffer.from(a.data).equals(Buffer.from(b.data)), `${what}: the same mask as the crop's, pixel for pixel`);
  assert.deepEqual(r.classes, c.classes);
  if (subject) assert.ok(b.data.some((v) => v >= 128), `${what}: some foreground (a real comparison)`);
}

describe('seglens/segment with a region', () => {
  test('the mask is the mask of a PNG of the same crop, pixel for pixel (reference and smooth pipelines)', async () => {
    await assertSameAsCrop('fast', sample('astronaut.jpg'), { left: 100, top: 37, width: 301, height: 402 }, [512, 512]);
    await assertSameAsCrop('balanced', sample('rocket.jpg'), { left: 320, top: 0, width: 320, height: 427 }, [640, 427]);
    await assertSameAsCrop('fast', sample('chelsea-cat.jpg'), { left: 0, top: 284, width: 16, height: 16 }, [451, 300], false);
    // `text` resizes with libvips ('smooth'): the crop goes through the same resize as a file would.
    await assertSameAsCrop('text', sample('text.png'), { left: 33, top: 20, width: 250, height: 130 }, [448, 172], false);
  });

  test('EXIF orientation: the region is in the upright image, as the mask is', async () => {
    // rocket.jpg stored turned a quarter to the left with orientation 6: upright it is 640x427,
    // stored 427x640, so a region right of x = 427 exists only in the upright frame.
    const file = path.join(dir, 'rocket-orientation-6.jpg');
    const stored = await sharp(sample('rocket.jpg')).rotate(270).raw().toBuffer({ resolveWithObject: true });
    await sharp(stored.data, { raw: { width: stored.info.width, height: stored.info.height, channels: 3 } }).withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toFile(file);
    assert.equal((await sharp(file).metadata()).orientation, 6);
    await assertSameAsCrop('fast', file, { left: 440, top: 20, width: 200, height: 300 }, [640, 427]);
  });

  test('the display image stays the whole image', async () => {
    const region = { left: 10, top: 10, width: 100, height: 80 };
    const r = await client.segment({ mode: 'fast', image: { path: sample('chelsea-cat.jpg') }, region, displayImage: true });
    assert.deepEqual([r.displayImage!.width, r.displayImage!.height], [451, 300]);
    assert.deepEqual([(await mask(r)).width, (await mask(r)).height], [100, 80]);
  });

  test('bad regions are -32602 saying which bound; the daemon keeps serving', async () => {
    const image = { path: sample('chelsea-cat.jpg') }; // 451x300
    const ok = { left: 0, top: 0, width: 64, height: 64 };
    const refused: [unknown, RegExp][] = [
      [{ ...ok, left: 400 }, /not inside the 451x300 image \(left \+ width = 464 > 451\)/],
      [{ ...ok, top: 240 }, /not inside the 451x300 image \(top \+ height = 304 > 300\)/],
      [{ ...ok, width: 452, left: 0 }, /left \+ width = 452 > 451/],
      [{ ...ok, width: 15 }, /'width' is 15, under 16/],
      [{ ...ok, height: 0 }, /'height' is 0, under 16/],
      [{ ...ok, left: 10.5 }, /'left' is 10\.5, not a whole number/],
      [{ ...ok, width: 32.25 }, /'width' is 32\.25, not a whole number/],
      [{ ...ok, left: -1 }, /'left' is -1, under 0/],
      [{ ...ok, top: -16 }, /'top' is -16, under 0/],
      [{ left: 0, top: 0, width: 64 }, /'height' is missing/],
      [{ top: 0, width: 64, height: 64 }, /'left' is missing/],
      [{ ...ok, width: '64' }, /'width' is "64", not a whole number/],
      ['all', /'region' must be \{left, top, width, height\}/],
      [null, /'region' must be/],
      [[0, 0, 64, 64], /'region' must be/],
    ];
    for (const [region, re] of refused) {
      await assert.rejects(client.segment({ mode: 'fast', image, region: region as P.DisplayRegion }), isInvalid(re), JSON.stringify(region));
    }
    await assert.rejects(client.segment({ mode: 'fast', image, region: ok, thumbnail: { size: 64 } }), isInvalid(/'thumbnail' and 'region' cannot go together/));
    const r = await client.segment({ mode: 'fast', image, region: ok });
    assert.deepEqual([(await mask(r)).width, r.width], [64, 451], 'still serving');
    assert.ok((await client.status()).pid > 0);
  });

  test('a region is its own result-cache entry', async () => {
    const image = { path: sample('coffee-cup.jpg') };
    const region = { left: 100, top: 50, width: 300, height: 300 };
    const whole = await client.segment({ mode: 'fast', image, cache: true });
    assert.equal(whole.cached, undefined);
    const first = await client.segment({ mode: 'fast', image, region, cache: true });
    assert.equal(first.cached, undefined, 'the whole image cached nothing for the region');
    assert.deepEqual(first.region, region);
    const again = await client.segment({ mode: 'fast', image, region, cache: true });
    assert.equal(again.cached, true);
    assert.equal(again.maskPng, first.maskPng);
    assert.deepEqual(again.region, region, 'the cached answer echoes the region');
    const wholeAgain = await client.segment({ mode: 'fast', image, cache: true });
    assert.equal(wholeAgain.cached, true);
    assert.equal(wholeAgain.maskPng, whole.maskPng, 'the whole image kept its own entry');
    assert.equal(wholeAgain.region, undefined);
    const other = await client.segment({ mode: 'fast', image, region: { ...region, left: 101 }, cache: true });
    assert.equal(other.cached, undefined, 'another region is another entry');
  });
});

// ---------------------------------------------------------------- the composite sample

/** Foreground (>= 128) IoU of two masks over `r`: `a` is region-sized, `b` image-sized. */
function iouOnRegion(a: Uint8Array, b: Uint8Array, bWidth: number, r: P.DisplayRegion): number {
  let inter = 0;
  let union = 0;
  for (let y = 0; y < r.height; y++) {
    for (let x = 0; x < r.width; x++) {
      const fa = a[y * r.width + x] >= 128;
      const fb = b[(r.top + y) * bWidth + r.left + x] >= 128;
      if (fa && fb) inter++;
      if (fa || fb) union++;
    }
  }
  return union === 0 ? 1 : inter / union;
}

/** A tile-sized mask placed at `box` on an empty canvas-sized one. */
function place(m: Uint8Array, box: P.DisplayRegion, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < box.height; y++) out.set(m.subarray(y * box.width, (y + 1) * box.width), (box.top + y) * width + box.left);
  return out;
}

/** Share of `own`'s foreground that `m` (same size) covers. */
function covered(m: Uint8Array, own: Uint8Array): number {
  let n = 0;
  let hit = 0;
  for (let i = 0; i < own.length; i++) {
    if (own[i] < 128) continue;
    n++;
    if (m[i] >= 128) hit++;
  }
  return n === 0 ? 0 : hit / n;
}

describe('the composite sample of two subjects', () => {
  let comp: CompositeSample;
  before(async () => {
    comp = await buildComposite();
  });

  for (const mode of ['fast', 'balanced']) {
    test(`${mode}: the whole image covers the subject the model prefers; a box around the other one gives that one's own mask (IoU >= 0.9)`, async (t) => {
      const canvas = { base64: comp.png.toString('base64') };
      const whole = (await mask(await client.segment({ mode, image: canvas }))).data;
      // Each subject segmented alone (its tile as an image of its own), placed where it lies.
      const own: Uint8Array[] = [];
      for (let i = 0; i < comp.tiles.length; i++) {
        const alone = (await mask(await client.segment({ mode, image: { base64: (await comp.alone(i)).toString('base64') } }))).data;
        own.push(place(alone, comp.tiles[i].box, comp.width, comp.height));
      }
      const cover = own.map((o) => covered(whole, o));
      const preferred = cover[0] >= cover[1] ? 0 : 1;
      const other = 1 - preferred;
      t.diagnostic(`${mode}: the whole image covers ${cover.map((c) => c.toFixed(3)).join(' / ')} of each subject's own mask`);
      assert.ok(cover[preferred] >= 0.8, `the preferred subject is covered (${cover[preferred]})`);
      assert.ok(cover[other] <= 0.25, `the other subject mostly is not (${cover[other]})`);
      assert.equal(comp.tiles[preferred].file, comp.preferred, 'the model prefers the subject the composite is made for');

      const box = foregroundBox(own[other], comp.width, comp.height);
      assert.ok(box, 'the other subject has a mask of its own');
      const region = withMargin(box, 0.1, comp.width, comp.height);
      const r = await client.segment({ mode, image: canvas, region });
      const iou = iouOnRegion((await mask(r)).data, own[other], comp.width, region);
      t.diagnostic(`${mode}: region ${JSON.stringify(region)} around ${path.basename(comp.tiles[other].file)}: IoU ${iou.toFixed(4)} with its own mask`);
      assert.ok(iou >= 0.9, `IoU ${iou} on the region`);
    });
  }
});
