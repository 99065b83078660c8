// Issue 16 through the real daemon process: the display image (`displayImage`) of inputs a
// webview cannot show as they are (TIFF, 16-bit PNG, CMYK JPEG, EXIF-rotated JPEG), generated
// here with sharp, lines up with the mask (same size and orientation, the colour under each
// class is that class's colour); and the semantic top-class confidence (`confidencePng`).
// The model is the tests' own colour classifier (black/red/green/blue → classes 0..3).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { ResponseError } from 'vscode-jsonrpc/node';
import { DaemonClient } from '../../daemon/api/client';
import * as P from '../../daemon/api/protocol';
import { COLOR_CLASS_LABELS, QUADRANT_COLORS, colorClassesModel, decodeMask, quadrantOf, redMatteModel, writeModel } from '../helpers/buildModels';
import { ListeningDaemon, startListening, tempDir } from '../helpers/daemonProcess';

const H = 48;
const W = 64;
let dir: string;
let daemon: ListeningDaemon;
let client: DaemonClient;

/** Raw RGB of four solid quadrants, width x height. */
function quadrantsRaw(width: number, height: number): Buffer {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw.set(QUADRANT_COLORS[quadrantOf(x, y, width, height)], (y * width + x) * 3);
  }
  return raw;
}
const quadrants = (width: number, height: number) => sharp(quadrantsRaw(width, height), { raw: { width, height, channels: 3 } });

async function decodeDisplay(d: P.DisplayImage): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(Buffer.from(d.data, 'base64')).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

const segment = (file: string, extra: Partial<P.SegmentParams> = {}) => client.segment({ mode: 'colors', image: { path: file }, ...extra });

/**
 * Every pixel away from the quadrant borders: the display image's colour there is the colour
 * of the mask's class there (within `tol`, for lossy formats), or, with `reference` (the
 * file's colours as libvips converts them to sRGB), that colour.
 */
async function assertAligned(r: P.SegmentResult, tol: number, reference?: Buffer): Promise<void> {
  assert.ok(r.displayImage, 'a display image was asked for');
  const mask = await decodeMask(r.maskPng);
  const img = await decodeDisplay(r.displayImage);
  assert.deepEqual([img.width, img.height], [r.width, r.height], 'the display image has the mask size');
  assert.deepEqual([r.displayImage.width, r.displayImage.height], [r.width, r.height]);
  let checked = 0;
  for (let y = 2; y < r.height - 2; y++) {
    for (let x = 2; x < r.width - 2; x++) {
      if (Math.abs(x - r.width / 2) < 3 || Math.abs(y - r.height / 2) < 3) continue;
      const cls = mask.data[y * r.width + x];
      const want = reference ? [...reference.subarray((y * r.width + x) * 3, (y * r.width + x) * 3 + 3)] : QUADRANT_COLORS[cls];
      const got = [...img.data.subarray((y * img.width + x) * img.channels, (y * img.width + x) * img.channels + 3)];
      for (let k = 0; k < 3; k++) assert.ok(Math.abs(got[k] - want[k]) <= tol, `(${x},${y}) class ${cls}: display colour ${got} vs ${want}`);
      checked++;
    }
  }
  assert.ok(checked > r.width * r.height * 0.5, `checked ${checked} pixels`);
}

before(async () => {
  dir = tempDir('seglens-display-');
  const model = writeModel(dir, 'colors.onnx', colorClassesModel({ layout: 'NCHW', kind: 'logits', size: [H, W] }));
  daemon = await startListening();
  client = await daemon.connect('display-test');
  const def: P.UserModeDefinition = { id: 'colors', model, inputName: 'image', inputSize: [H, W], normalization: 'zero-one', labels: COLOR_CLASS_LABELS };
  const res = await client.request(P.DefineModes, { modes: [def] });
  assert.deepEqual(res.errors, []);
});

after(async () => {
  client?.dispose();
  await daemon?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('display image', () => {
  test('absent unless asked for', async () => {
    const file = path.join(dir, 'plain.png');
    await quadrants(W, H).png().toFile(file);
    const r = await segment(file);
    assert.equal(r.displayImage, undefined);
    assert.equal(r.confidencePng, undefined);
  });

  test('TIFF: displayed as the daemon decoded it, aligned with the mask', async () => {
    const file = path.join(dir, 'quadrants.tiff');
    await quadrants(W, H).tiff({ compression: 'lzw' }).toFile(file);
    const r = await segment(file, { displayImage: true });
    assert.equal(r.displayImage?.mimeType, 'image/jpeg');
    await assertAligned(r, 12);
  });

  test('16-bit PNG: an 8-bit display image, aligned', async () => {
    const file = path.join(dir, 'sixteen.png');
    await quadrants(W, H).toColourspace('rgb16').png().toFile(file);
    assert.equal((await sharp(file).metadata()).depth, 'ushort', 'the test image really is 16-bit');
    const r = await segment(file, { displayImage: true });
    await assertAligned(r, 12);
  });

  test('16-bit PNG with alpha: a PNG display image that keeps the alpha', async () => {
    const file = path.join(dir, 'sixteen-alpha.png');
    await quadrants(W, H).ensureAlpha(0.5).toColourspace('rgb16').png().toFile(file);
    const r = await segment(file, { displayImage: true });
    assert.equal(r.displayImage?.mimeType, 'image/png');
    const meta = await sharp(Buffer.from(r.displayImage!.data, 'base64')).metadata();
    assert.equal(meta.depth, 'uchar');
    assert.equal(meta.hasAlpha, true);
    await assertAligned(r, 2);
  });

  test('CMYK JPEG: converted to sRGB, aligned', async () => {
    const file = path.join(dir, 'cmyk.jpg');
    await quadrants(W, H).toColourspace('cmyk').jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toFile(file);
    assert.equal((await sharp(file).metadata()).space, 'cmyk', 'the test image really is CMYK');
    const r = await segment(file, { displayImage: true });
    const meta = await sharp(Buffer.from(r.displayImage!.data, 'base64')).metadata();
    assert.equal(meta.space, 'srgb');
    // CMYK → sRGB through the default profiles shifts colours (pure green comes back
    // yellowish): compare with libvips' own conversion, and check the classes separately.
    const { data: reference } = await sharp(file).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    await assertAligned(r, 8, reference);
    const mask = await decodeMask(r.maskPng);
    assert.deepEqual([5, W - 5, (H - 5) * W + 5, (H - 5) * W + W - 5].map((i) => mask.data[i]), [0, 1, 2, 3]);
  });

  test('EXIF-rotated JPEG: the display image is oriented like the mask', async () => {
    // Stored 64x48 with orientation 6 (rotate 90° clockwise to show): shown 48x64.
    const file = path.join(dir, 'rotated.jpg');
    await quadrants(W, H).jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).withMetadata({ orientation: 6 }).toFile(file);
    const r = await segment(file, { displayImage: true });
    assert.deepEqual([r.width, r.height], [H, W], 'mask in displayed orientation');
    await assertAligned(r, 12);
    // The stored top-left (black) quadrant is now top-right.
    const mask = await decodeMask(r.maskPng);
    assert.equal(mask.data[2 * r.width + (r.width - 3)], 0);
    assert.equal(mask.data[2 * r.width + 2], 2, 'the stored bottom-left (green) quadrant is now top-left');
  });

  test('huge images are bounded: maxSide scales the display image, never the mask', async () => {
    const file = path.join(dir, 'big.png');
    await quadrants(640, 480).png().toFile(file);
    const r = await segment(file, { displayImage: { maxSide: 160 } });
    assert.deepEqual([r.width, r.height], [640, 480]);
    assert.deepEqual([r.displayImage!.width, r.displayImage!.height], [160, 120]);
    const img = await decodeDisplay(r.displayImage!);
    assert.deepEqual([img.width, img.height], [160, 120]);
    const at = (x: number, y: number) => [...img.data.subarray((y * 160 + x) * 3, (y * 160 + x) * 3 + 3)];
    // Bottom right is blue, top right red, at the same relative place as in the mask.
    assert.ok(at(150, 110)[2] > 200 && at(150, 110)[0] < 40, `bottom right ${at(150, 110)}`);
    assert.ok(at(150, 10)[0] > 200 && at(150, 10)[2] < 40, `top right ${at(150, 10)}`);
    const small = await segment(file, { displayImage: { maxSide: 4096 } });
    assert.deepEqual([small.displayImage!.width, small.displayImage!.height], [640, 480], 'never enlarged');
  });

  test('bad displayImage params are refused with -32602 and the daemon keeps serving', async () => {
    const file = path.join(dir, 'plain.png');
    for (const bad of ['yes', 3, [], { maxSide: 4 }, { maxSide: 1.5 }, { maxSide: 1e9 }, { maxSide: '100' }]) {
      await assert.rejects(
        client.segment({ mode: 'colors', image: { path: file }, displayImage: bad as never }),
        (e: unknown) => e instanceof ResponseError && e.code === -32602 && /displayImage/.test(e.message),
      );
    }
    await assert.rejects(client.segment({ mode: 'colors', image: { path: file }, confidence: 'yes' as never }), (e: unknown) => e instanceof ResponseError && e.code === -32602);
    assert.equal((await segment(file, { displayImage: false })).displayImage, undefined);
  });
});

describe('confidence map', () => {
  test('semantic: the softmax of the top logit at each pixel, sampled like the class map', async () => {
    const file = path.join(dir, 'plain.png');
    const r = await segment(file, { confidence: true });
    assert.ok(r.confidencePng, 'confidencePng when asked for');
    const conf = await decodeMask(r.confidencePng);
    const mask = await decodeMask(r.maskPng);
    assert.deepEqual([conf.width, conf.height], [r.width, r.height]);
    // The model's logits per colour (test/helpers/buildModels.ts): black [0.5,0,0,0]; a pure
    // colour k gives 1 for its class, -1 for the other colours and -0.5 for background.
    const softmaxTop = (l: number[]) => Math.exp(Math.max(...l)) / l.reduce((s, v) => s + Math.exp(v), 0);
    const expected = [softmaxTop([0.5, 0, 0, 0]), softmaxTop([-0.5, 1, -1, -1]), softmaxTop([-0.5, -1, 1, -1]), softmaxTop([-0.5, -1, -1, 1])];
    for (const [x, y] of [
      [5, 5],
      [W - 5, 5],
      [5, H - 5],
      [W - 5, H - 5],
    ]) {
      const cls = mask.data[y * W + x];
      assert.equal(cls, quadrantOf(x, y, W, H));
      assert.equal(conf.data[y * W + x], Math.round(expected[cls] * 255), `confidence at (${x},${y}), class ${cls}`);
    }
  });

  test('binary modes have no confidence map (the matte is the probability)', async () => {
    const matte = writeModel(dir, 'matte.onnx', redMatteModel('sigmoid', [H, W]));
    const def: P.UserModeDefinition = { id: 'red-matte', model: matte, inputName: 'image', inputSize: [H, W], normalization: 'zero-one' };
    assert.deepEqual((await client.request(P.DefineModes, { modes: [def] })).errors, []);
    const r = await client.segment({ mode: 'red-matte', image: { path: path.join(dir, 'plain.png') }, confidence: true, displayImage: true });
    assert.equal(r.confidencePng, undefined);
    assert.ok(r.displayImage, 'the display image does not depend on the task');
  });
});
