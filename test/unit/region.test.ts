// engine/pipeline/region.ts (issue 22): the crop of decoded pixels takes exactly the region's
// rows, and a region not inside the image is -32602 naming the bound it crosses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SegLensError } from '../../daemon/api/errors';
import { ErrorCodes } from '../../daemon/api/protocol';
import { checkInside, cropPixels } from '../../daemon/engine/pipeline/region';

test('cropPixels copies the region row by row (RGB and one channel)', () => {
  const [w, h] = [7, 5];
  const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => i % 256);
  const r = { left: 2, top: 1, width: 3, height: 2 };
  const out = cropPixels({ data: rgb, width: w, height: h }, r);
  assert.deepEqual([out.width, out.height], [3, 2]);
  const want: number[] = [];
  for (let y = r.top; y < r.top + r.height; y++) for (let x = r.left; x < r.left + r.width; x++) for (let c = 0; c < 3; c++) want.push(rgb[(y * w + x) * 3 + c]);
  assert.deepEqual([...out.data], want);
  const grey = Uint8Array.from({ length: w * h }, (_, i) => i);
  assert.deepEqual([...cropPixels({ data: grey, width: w, height: h }, { left: 6, top: 4, width: 1, height: 1 }, 1).data], [34]);
  assert.deepEqual([...cropPixels({ data: grey, width: w, height: h }, { left: 0, top: 0, width: w, height: h }, 1).data], [...grey], 'the whole image');
});

test('checkInside: inside passes; outside is -32602 saying which bound', () => {
  checkInside('m', { left: 0, top: 0, width: 64, height: 48 }, 64, 48);
  const refuses = (r: { left: number; top: number; width: number; height: number }, re: RegExp) =>
    assert.throws(() => checkInside('seglens/segment', r, 64, 48), (e: unknown) => e instanceof SegLensError && e.code === ErrorCodes.InvalidParams && re.test(e.message));
  refuses({ left: 1, top: 0, width: 64, height: 16 }, /^seglens\/segment: 'region' \(1,0 64x16\) is not inside the 64x48 image \(left \+ width = 65 > 64\)$/);
  refuses({ left: 0, top: 40, width: 16, height: 16 }, /top \+ height = 56 > 48/);
});
