// Issue 16 through the real daemon process: `seglens/displayCrop`, the full-resolution pixels of
// a region of a large image (what the preview draws at 1:1 over its downscaled display image).
// A generated 6000x4000 image with a known pattern, as PNG and as a TIFF stored rotated with an
// EXIF orientation: every crop equals the pattern's region exactly; bad regions are -32602,
// unreadable images 1001/1002/1003, and the daemon keeps serving.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { ResponseError } from 'vscode-jsonrpc/node';
import { DaemonClient } from '../../daemon/api/client';
import * as P from '../../daemon/api/protocol';
import { COLOR_CLASS_LABELS, colorClassesModel, writeModel } from '../helpers/buildModels';
import { ListeningDaemon, startListening, tempDir } from '../helpers/daemonProcess';
import { pngClaiming } from '../helpers/images';

const W = 6000;
const H = 4000;
/** A pattern no downscale keeps: every pixel differs from its neighbours. */
const px = (x: number, y: number) => [x % 251, y % 241, (x * 3 + y * 5) % 256];
let dir: string;
let daemon: ListeningDaemon;
let client: DaemonClient;
let pattern: Buffer;
let pngFile: string;
let tiffFile: string;

function patternRaw(): Buffer {
  const raw = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) raw.set(px(x, y), (y * W + x) * 3);
  return raw;
}

/** The pattern's pixels in `r`, row by row. */
function expected(r: P.DisplayRegion): Buffer {
  const out = Buffer.alloc(r.width * r.height * 3);
  for (let y = 0; y < r.height; y++) pattern.copy(out, y * r.width * 3, ((r.top + y) * W + r.left) * 3, ((r.top + y) * W + r.left + r.width) * 3);
  return out;
}

async function crop(file: string, region: P.DisplayRegion): Promise<{ r: P.DisplayCropResult; data: Buffer }> {
  const r = await client.displayCrop({ image: { path: file }, region });
  assert.equal(r.mimeType, 'image/png');
  const { data, info } = await sharp(Buffer.from(r.data, 'base64')).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height, info.channels], [region.width, region.height, 3]);
  return { r, data };
}

const isCode = (code: number, re?: RegExp) => (e: unknown) => e instanceof ResponseError && e.code === code && (!re || re.test(e.message));

before(async () => {
  dir = tempDir('seglens-crop-');
  pattern = patternRaw();
  pngFile = path.join(dir, 'pattern.png');
  await sharp(pattern, { raw: { width: W, height: H, channels: 3 } }).png({ compressionLevel: 1 }).toFile(pngFile);
  // Stored turned a quarter to the left, with orientation 6 (turn right to display): upright is the pattern.
  tiffFile = path.join(dir, 'pattern-rotated.tiff');
  const stored = await sharp(pattern, { raw: { width: W, height: H, channels: 3 } }).rotate(270).raw().toBuffer({ resolveWithObject: true });
  await sharp(stored.data, { raw: { width: stored.info.width, height: stored.info.height, channels: 3 } })
    .withMetadata({ orientation: 6 })
    .tiff({ compression: 'deflate' })
    .toFile(tiffFile);
  daemon = await startListening();
  client = await daemon.connect('crop-test');
});

after(async () => {
  client?.dispose();
  await daemon?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('seglens/displayCrop', () => {
  test('the daemon stays responsive: a status sent after the first crop of a 24-megapixel image is answered first', async () => {
    const order: string[] = [];
    const first = crop(pngFile, { left: 0, top: 0, width: 64, height: 48 }).then((c) => (order.push('crop'), c));
    await new Promise((r) => setTimeout(r, 50)); // the crop has reached the daemon
    await client.status().then(() => order.push('status'));
    const { r, data } = await first;
    assert.deepEqual(order, ['status', 'crop']);
    assert.deepEqual([r.imageWidth, r.imageHeight], [W, H]);
    assert.ok(data.equals(expected(r.region)), 'the crop is the pattern');
  });

  test('every crop is the original region, pixel for pixel (corners, odd offsets, a 4096 side)', async () => {
    for (const region of [
      { left: W - 37, top: H - 29, width: 37, height: 29 },
      { left: 2999, top: 1234, width: 301, height: 203 },
      { left: 1, top: 3000, width: 4096, height: 3 },
    ]) {
      const { data } = await crop(pngFile, region);
      assert.ok(data.equals(expected(region)), `region ${JSON.stringify(region)}`);
    }
  });

  test('EXIF-oriented TIFF: the region is taken from the upright image, as the mask is', async () => {
    for (const region of [
      { left: 5900, top: 100, width: 100, height: 50 }, // outside the stored (4000-wide) image
      { left: 17, top: 3900, width: 211, height: 100 },
    ]) {
      const { r, data } = await crop(tiffFile, region);
      assert.deepEqual([r.imageWidth, r.imageHeight], [W, H]);
      assert.ok(data.equals(expected(region)), `region ${JSON.stringify(region)}`);
    }
  });

  test('the display image and the mask of a large image: downscaled picture, full-size mask, crops of the same size', async () => {
    const model = writeModel(dir, 'colors.onnx', colorClassesModel({ layout: 'NCHW', kind: 'logits', size: [48, 64] }));
    const def: P.UserModeDefinition = { id: 'colors', model, inputName: 'image', inputSize: [48, 64], normalization: 'zero-one', labels: COLOR_CLASS_LABELS };
    assert.deepEqual((await client.request(P.DefineModes, { modes: [def] })).errors, []);
    const s = await client.segment({ mode: 'colors', image: { path: tiffFile }, displayImage: true });
    assert.deepEqual([s.width, s.height], [W, H]);
    assert.deepEqual([s.displayImage!.width, s.displayImage!.height], [P.DISPLAY_MAX_SIDE, Math.round((H * P.DISPLAY_MAX_SIDE) / W)]);
    const { r } = await crop(tiffFile, { left: 0, top: 0, width: 1, height: 1 });
    assert.deepEqual([r.imageWidth, r.imageHeight], [s.width, s.height]);
  });

  test('bad regions are -32602, bad images 1001/1002/1003; the daemon keeps serving', async () => {
    const region = { left: 0, top: 0, width: 8, height: 8 };
    await assert.rejects(client.displayCrop({ image: { path: pngFile }, region: { left: W - 10, top: 0, width: 20, height: 8 } }), isCode(-32602, /not inside the 6000x4000 image/));
    await assert.rejects(client.displayCrop({ image: { path: tiffFile }, region: { left: 0, top: H - 1, width: 8, height: 2 } }), isCode(-32602, /not inside/));
    for (const bad of [{ ...region, left: -1 }, { ...region, top: 0.5 }, { ...region, width: 0 }, { ...region, height: P.DISPLAY_CROP_MAX_SIDE + 1 }, { ...region, width: '8' }, { left: 0, top: 0 }, 'all', null]) {
      await assert.rejects(client.displayCrop({ image: { path: pngFile }, region: bad as never }), isCode(-32602, /'region' must be/), JSON.stringify(bad));
    }
    await assert.rejects(client.request(P.DisplayCrop, { region } as never), isCode(-32602, /'image' is missing/));
    await assert.rejects(client.displayCrop({ image: { path: path.join(dir, 'none.png') }, region }), isCode(1001, /none\.png/));
    const junk = path.join(dir, 'junk.png');
    fs.writeFileSync(junk, 'not an image');
    await assert.rejects(client.displayCrop({ image: { path: junk }, region }), isCode(1002));
    await assert.rejects(client.displayCrop({ image: { base64: pngClaiming(20000, 20000).toString('base64') }, region }), isCode(1003));
    await assert.rejects(client.displayCrop({ image: { base64: '@@@' }, region }), isCode(-32602, /base64/));
    assert.ok((await client.status()).pid > 0);
    const { data } = await crop(pngFile, region);
    assert.ok(data.equals(expected(region)), 'still cropping after the refusals');
  });
});
