// The decoder candidate's PNG (daemon/engine/pipeline/prompt/logitMaskPng.ts), decoded by sharp
// (libpng's checks: signature, chunk CRCs, zlib stream) and by the project's own PNG reader, against
// the threshold written out here: 255 where the logit is > 0, 0 elsewhere (also for -0, +0 and
// NaN), for each of K candidates, on odd sizes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { logitMaskPng } from '../../daemon/engine/pipeline/prompt/logitMaskPng';
import { readIndexPng } from '../../daemon/eval/pngIndices';

function candidates(K: number, H: number, W: number): Float32Array {
  const m = new Float32Array(K * H * W);
  for (let k = 0; k < K; k++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) m[(k * H + y) * W + x] = (k + 2) * 7 - Math.hypot(x - W / (k + 2), y - H / 2);
    }
  }
  // Edge values: exactly zero of both signs and NaN are background; the smallest positive is foreground.
  if (m.length >= 5) m.set([0, -0, Number.NaN, 1e-45, -1e-45], 0);
  return m;
}

/** The pixels as sharp (libpng) decodes them, checked equal to what the project's own reader gives. */
async function pixels(png: Uint8Array): Promise<{ data: Uint8Array; width: number; height: number; channels: number }> {
  const meta = await sharp(png).metadata();
  // sharp hands a grey PNG out as three equal channels: the first is the grey.
  const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  const own = await readIndexPng(png);
  assert.ok(own && own.colorType === 'grey', 'the project reader sees a grey PNG');
  assert.ok(Buffer.from(own.data).equals(data), 'libpng and the project reader agree');
  return { data, width: info.width, height: info.height, channels: meta.channels ?? 0 };
}

describe('logitMaskPng', () => {
  for (const [K, H, W] of [
    [1, 1, 1],
    [3, 37, 53],
    [2, 120, 7],
  ] as const) {
    it(`K=${K}, ${W}x${H}: every candidate decodes to the threshold of its logits`, async () => {
      const m = candidates(K, H, W);
      if (H * W === 1) m[0] = 3; // the edge values need more room: one foreground pixel
      for (let k = 0; k < K; k++) {
        const got = await pixels(logitMaskPng(m, k, H, W));
        assert.deepEqual([got.width, got.height, got.channels], [W, H, 1], '8-bit grey, the candidate size');
        let wrong = 0;
        let fg = 0;
        for (let i = 0; i < H * W; i++) {
          const want = m[k * H * W + i] > 0 ? 255 : 0;
          if (got.data[i] !== want) wrong++;
          if (want) fg++;
        }
        assert.equal(wrong, 0, `candidate ${k}: ${wrong} pixels differ`);
        if (H * W > 1) assert.ok(fg > 0 && fg < H * W, 'both values occur (the case proves something)');
      }
    });
  }

  it('the edge values: +0, -0 and NaN are background, the smallest positive float is foreground', async () => {
    const m = candidates(1, 2, 5);
    const got = await pixels(logitMaskPng(m, 0, 2, 5));
    assert.deepEqual([...got.data.subarray(0, 5)], [0, 0, 0, 255, 0]);
  });
});
