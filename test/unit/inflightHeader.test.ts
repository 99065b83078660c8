// The decoded-size estimate of the in-flight budget (daemon/server/inflight.ts): width x height
// from a PNG, JPEG (baseline and progressive) or GIF header; 0 for what it cannot read.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { headerPixels, InflightBudget } from '../../daemon/server/inflight';

test('headerPixels reads PNG, JPEG and GIF dimensions, and 0 otherwise', async () => {
  const img = sharp({ create: { width: 123, height: 45, channels: 3, background: '#808080' } });
  for (const bytes of [await img.clone().png().toBuffer(), await img.clone().jpeg().toBuffer(), await img.clone().jpeg({ progressive: true }).toBuffer(), await img.clone().gif().toBuffer()]) {
    assert.equal(headerPixels(bytes), 123 * 45);
  }
  assert.equal(headerPixels(await img.clone().webp().toBuffer()), 0);
  assert.equal(headerPixels(Buffer.from('not an image')), 0);
  assert.equal(headerPixels(Buffer.from([0xff, 0xd8, 0xff])), 0);
});

test('InflightBudget refuses past the budget with 1005 and frees what is released, once', () => {
  const b = new InflightBudget(1000);
  const r1 = b.reserve(600, new Uint8Array());
  assert.throws(() => b.reserve(500, new Uint8Array()), (e: { code: number }) => e.code === 1005);
  r1();
  r1();
  const r2 = b.reserve(1000, new Uint8Array());
  assert.throws(() => b.reserve(1, new Uint8Array()), (e: { code: number }) => e.code === 1005);
  r2();
});
