// Which images the preview shows from their own bytes and which from the daemon's display
// image (extension/preview/displayPlan.ts), on images made here with sharp.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { displayPlan, jpegInfo, pngBitDepth } from '../../extension/preview/displayPlan';

const base = () => sharp({ create: { width: 8, height: 6, channels: 3, background: { r: 200, g: 30, b: 30 } } });

test('plain JPEG, PNG, WebP, GIF: the page shows the original', async () => {
  assert.deepEqual(displayPlan('.jpg', await base().jpeg().toBuffer()), { mime: 'image/jpeg' });
  assert.deepEqual(displayPlan('.JPEG', await base().jpeg().toBuffer()), { mime: 'image/jpeg' });
  assert.deepEqual(displayPlan('.png', await base().png().toBuffer()), { mime: 'image/png' });
  assert.deepEqual(displayPlan('.webp', await base().webp().toBuffer()), { mime: 'image/webp' });
  assert.deepEqual(displayPlan('.gif', await base().gif().toBuffer()), { mime: 'image/gif' });
});

test('TIFF, BMP and unknown types: the daemon display image', async () => {
  assert.equal(displayPlan('.tiff', await base().tiff().toBuffer()).mime, undefined);
  assert.equal(displayPlan('.tif', Buffer.alloc(10)).mime, undefined);
  assert.equal(displayPlan('.bmp', Buffer.alloc(10)).mime, undefined);
  assert.match(displayPlan('', Buffer.alloc(10)).reason!, /not shown/);
});

test('EXIF-rotated and CMYK JPEGs, 16-bit PNGs: the daemon display image', async () => {
  for (const o of [3, 6, 8]) {
    const buf = await base().jpeg().withMetadata({ orientation: o }).toBuffer();
    assert.equal(jpegInfo(buf).orientation, o);
    assert.deepEqual(displayPlan('.jpg', buf), { reason: `EXIF orientation ${o}` });
  }
  const upright = await base().jpeg().withMetadata({ orientation: 1 }).toBuffer();
  assert.deepEqual(displayPlan('.jpg', upright), { mime: 'image/jpeg' });
  const cmyk = await base().toColourspace('cmyk').jpeg().toBuffer();
  assert.equal(jpegInfo(cmyk).components, 4);
  assert.deepEqual(displayPlan('.jpg', cmyk), { reason: 'CMYK JPEG' });
  const sixteen = await base().toColourspace('rgb16').png().toBuffer();
  assert.equal(pngBitDepth(sixteen), 16);
  assert.deepEqual(displayPlan('.png', sixteen), { reason: '16-bit PNG' });
});

test('truncated or lying headers do not throw', () => {
  assert.deepEqual(jpegInfo(Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0x00])), { orientation: 1, components: 3 });
  assert.deepEqual(jpegInfo(Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff, 0x45, 0x78, 0x69, 0x66, 0, 0, 0x49, 0x49])), { orientation: 1, components: 3 });
  assert.equal(pngBitDepth(Buffer.from([0x89, 0x50])), undefined);
});
