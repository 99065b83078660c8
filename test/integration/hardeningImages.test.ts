// Issue #7, hostile and odd images through the real daemon (`text` mode, PP-OCR: quick). Each
// gets its documented error code or a correct result: the mask is the oriented image's size
// (8-bit grey) and the class fractions sum to 1.
// Already covered in errors.test.ts (not repeated here): truncated JPEG, text named .png and
// garbage base64 (1002), a PNG header claiming 100000x100000 refused before decoding (1003), a
// directory and a missing file (1001), invalid base64 (-32602).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { ResponseError } from 'vscode-jsonrpc/node';
import { DaemonClient } from '../../daemon/api/client';
import { SegmentResult } from '../../daemon/api/protocol';
import { ListeningDaemon, startListening, tempDir, assertStillWarm } from '../helpers/daemonProcess';
import * as img from '../helpers/hostileImages';

const MAX_IMAGE_BYTES = 300_000;
let daemon: ListeningDaemon;
let client: DaemonClient;
let other: DaemonClient;
let scratch: string;

before(async () => {
  daemon = await startListening({ warmupIterations: 1, maxImageBytes: MAX_IMAGE_BYTES });
  client = await daemon.connect('hostile-images');
  other = await daemon.connect('bystander');
  scratch = tempDir('seglens-hostile-');
  await client.ensureReady('text');
});
after(async () => {
  client?.dispose();
  other?.dispose();
  await daemon?.stop();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

const code = (c: number, message?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof ResponseError, `expected a JSON-RPC error, got ${String(e)}`);
  assert.equal(e.code, c, e.message);
  if (message) assert.match(e.message, message);
  return true;
};

function file(name: string, data: Buffer | string): string {
  const p = path.join(scratch, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
  return p;
}

const segPath = (p: string) => client.segment({ mode: 'text', image: { path: p } });
const segBytes = (b: Buffer) => client.segment({ mode: 'text', image: { base64: b.toString('base64') } });

async function stillServes(): Promise<void> {
  const st = await other.status();
  assertStillWarm(st.modes.find((m) => m.mode === 'text'), 'another client is still served');
}

test('1002: an empty file, an empty base64 image and a truncated PNG', async () => {
  await assert.rejects(segPath(file('empty.png', Buffer.alloc(0))), code(1002, /empty/));
  const png = await sharp(img.textSample()).png().toBuffer();
  await assert.rejects(segPath(file('truncated.png', png.subarray(0, Math.floor(png.length / 2)))), code(1002, /truncated\.png/));
  await assert.rejects(segBytes(png.subarray(0, 40)), code(1002));
  await stillServes();
});

test('1003: base64 over --max-image-bytes is refused before decoding', async () => {
  const big = Buffer.alloc(MAX_IMAGE_BYTES + 3000, 7);
  await assert.rejects(segBytes(big), code(1003, /pass a path/));
  // Just under the limit is decoded (and is not an image: 1002, not 1003).
  await assert.rejects(segBytes(Buffer.alloc(MAX_IMAGE_BYTES - 3, 7)), code(1002));
  await stillServes();
});

test('odd but valid images decode to a correct result (path and base64)', async () => {
  const cases: [string, () => Promise<Buffer>, number, number][] = [
    ['1x1.png', img.onePixelPng, 1, 1],
    ['grey.png', img.greyPng, 448, 172],
    ['16bit.png', img.png16, 448, 172],
    ['cmyk.jpg', img.cmykJpeg, 448, 172],
    ['rgba.png', img.rgbaPng, 33, 21],
    ['image.webp', img.webp, 448, 172],
  ];
  for (const [name, make, w, h] of cases) {
    const bytes = await make();
    const meta = await sharp(bytes).metadata();
    if (name === '16bit.png') assert.equal(meta.depth, 'ushort', 'the fixture really is 16-bit');
    if (name === 'cmyk.jpg') assert.equal(meta.space, 'cmyk', 'the fixture really is CMYK');
    if (name === 'grey.png') assert.equal(meta.channels, 1, 'the fixture really is one channel');
    if (name === 'rgba.png') assert.equal(meta.channels, 4, 'the fixture really has alpha');
    const byPath = await segPath(file(name, bytes));
    await img.assertWellFormed(byPath, w, h, `${name} by path`);
    const byData = await segBytes(bytes);
    await img.assertWellFormed(byData, w, h, `${name} as base64`);
    assert.equal(byData.maskPng, byPath.maskPng, `${name}: the same mask by path and by data`);
    if (w > 1) {
      // The text sample's words are found whatever the encoding (grey, 16-bit, CMYK, WebP).
      if (name !== 'rgba.png') assert.ok(img.textFraction(byPath) > 0.02, `${name}: text found (${img.textFraction(byPath)})`);
    }
  }
  await stillServes();
});

test('animated GIF: the first frame is segmented', async () => {
  const textFirst = await img.animatedGif(true);
  const blankFirst = await img.animatedGif(false);
  assert.equal((await sharp(textFirst, { pages: -1 }).metadata()).pages, 2, 'the fixture has two frames');
  const a = await segPath(file('text-first.gif', textFirst));
  const b = await segPath(file('blank-first.gif', blankFirst));
  await img.assertWellFormed(a, 448, 172, 'text-first GIF');
  await img.assertWellFormed(b, 448, 172, 'blank-first GIF');
  assert.ok(img.textFraction(a) > 0.02, `text found in the first frame (${img.textFraction(a)})`);
  assert.ok(img.textFraction(b) < img.textFraction(a) / 4, `a blank first frame has (almost) no text (${img.textFraction(b)} vs ${img.textFraction(a)})`);
  await stillServes();
});

test('EXIF orientation 6: the result is in displayed orientation and the mask is oriented', async () => {
  const { rotated, upright } = await img.exifRotatedJpeg();
  const stored = await sharp(rotated).metadata();
  assert.deepEqual([stored.width, stored.height, stored.orientation], [172, 448, 6], 'stored a quarter turn, tagged orientation 6');
  const r = await segPath(file('rotated.jpg', rotated));
  const u = await segPath(file('upright.jpg', upright));
  const rm = await img.assertWellFormed(r, 448, 172, 'EXIF-rotated JPEG (width and height swapped back)');
  const um = await img.assertWellFormed(u, 448, 172, 'upright JPEG');
  // The strongest text pixel of the upright mask is text in the oriented mask too, and the two
  // masks agree overall (the JPEG was re-encoded rotated, so not bit for bit).
  let best = 0;
  for (let i = 1; i < um.length; i++) if (um[i] > um[best]) best = i;
  assert.ok(um[best] > 128, 'the upright mask has text');
  assert.ok(rm[best] > 128, `pixel (${best % 448}, ${Math.floor(best / 448)}) is text in the oriented mask too (${rm[best]})`);
  let diff = 0;
  for (let i = 0; i < um.length; i++) diff += Math.abs(um[i] - rm[i]);
  assert.ok(diff / um.length < 8, `oriented and upright masks agree (mean |diff| ${(diff / um.length).toFixed(2)} of 255)`);
  await stillServes();
});

test('spaces and non-Latin characters in the path', async () => {
  const bytes = await img.greyPng();
  for (const name of ['a folder with spaces/my image (1).png', 'グレー画像/ñandú тест 图像.png', 'emoji 🐱/😀.png']) {
    const r: SegmentResult = await segPath(file(name, bytes));
    await img.assertWellFormed(r, 448, 172, name);
  }
  const missing = path.join(scratch, 'グレー画像', 'нет такого файла.png');
  await assert.rejects(segPath(missing), code(1001, /нет такого файла/));
  await stillServes();
});
