// Ground-truth scores on tiny arrays (daemon/eval/scores.ts) and the class-index PNG reader.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as zlib from 'node:zlib';
import sharp from 'sharp';
import { readIndexPng } from '../../daemon/eval/pngIndices';
import { CITYSCAPES_LABEL_TO_TRAIN, binaryScores, groundTruthForeground, mapIds, predictionForeground, semanticScores } from '../../daemon/eval/scores';
import { chunk, writePng } from '../helpers/pngWriter';

const u8 = (a: number[]) => Uint8Array.from(a);

describe('binary scores', () => {
  it('IoU and Dice from the counts', () => {
    // tp = 2, fp = 1, fn = 1, tn = 1
    const s = binaryScores(u8([1, 1, 1, 0, 0]), u8([1, 1, 0, 1, 0]));
    assert.deepEqual(s.counts, { truePositive: 2, falsePositive: 1, falseNegative: 1, trueNegative: 1 });
    assert.equal(s.iou, 2 / 4);
    assert.equal(s.dice, 4 / 6);
  });
  it('both empty scores 1; one empty scores 0', () => {
    assert.deepEqual([binaryScores(u8([0, 0]), u8([0, 0])).iou, binaryScores(u8([0, 0]), u8([0, 0])).dice], [1, 1]);
    assert.deepEqual([binaryScores(u8([1, 0]), u8([0, 0])).iou, binaryScores(u8([0, 0]), u8([0, 1])).dice], [0, 0]);
  });
  it('prediction foreground is mask >= 128', () => {
    assert.deepEqual([...predictionForeground(u8([0, 127, 128, 255]))], [0, 0, 1, 1]);
  });
  it('ground truth: grey and RGB by luminance, alpha when present', () => {
    assert.deepEqual([...groundTruthForeground(u8([127, 128]), 1)], [0, 1]);
    // pure green 255 → luma 149.7 (fg); pure red 255 → 76.2 (bg); pure blue → 29 (bg)
    assert.deepEqual([...groundTruthForeground(u8([0, 255, 0, 255, 0, 0, 0, 0, 255]), 3)], [1, 0, 0]);
    // alpha decides, whatever the colour
    assert.deepEqual([...groundTruthForeground(u8([0, 0, 0, 200, 255, 255, 255, 10]), 4)], [1, 0]);
    assert.deepEqual([...groundTruthForeground(u8([0, 128, 255, 127]), 2)], [1, 0]);
  });
});

describe('semantic scores', () => {
  it('per-class IoU over the classes present in either, pixel accuracy, 255 ignored', () => {
    const pred = u8([0, 0, 1, 1, 2, 2, 3]);
    const gt = u8([0, 1, 1, 1, 255, 2, 0]);
    const s = semanticScores(pred, gt);
    // class 0: I=1 (px0), pred{0,1} gt{0,6} → U=3; class 1: I=2, pred{2,3} gt{1,2,3} → U=3;
    // class 2: px4 ignored → pred{5} gt{5} → 1/1; class 3: pred{6} gt{} → 0/1
    assert.deepEqual(
      s.classes.map((c) => [c.id, c.intersection, c.union]),
      [
        [0, 1, 3],
        [1, 2, 3],
        [2, 1, 1],
        [3, 0, 1],
      ],
    );
    assert.equal(s.iou, (1 / 3 + 2 / 3 + 1 + 0) / 4);
    assert.equal(s.pixelAccuracy, 4 / 6);
    assert.equal(s.ignoredPixels, 1);
  });
  it('everything ignored: no classes, scores 1', () => {
    const s = semanticScores(u8([3, 4]), u8([255, 255]));
    assert.deepEqual([s.classes.length, s.iou, s.pixelAccuracy], [0, 1, 1]);
  });
  it('Cityscapes label ids map to train ids, the rest to 255', () => {
    assert.deepEqual([...mapIds(u8([7, 26, 33, 0, 1, 34]), CITYSCAPES_LABEL_TO_TRAIN)], [0, 13, 18, 255, 255, 255]);
  });
});

describe('class-index PNG reader', () => {
  const W = 5;
  const H = 3;
  const values = Array.from({ length: W * H }, (_, i) => (i * 7) % 21);
  const palette = Array.from({ length: 21 }, (_, i) => [i * 10, 255 - i * 10, i] as [number, number, number]);
  for (const filter of [0, 1, 2, 3, 4] as const) {
    it(`reads a palette PNG as its indices (filter ${filter})`, async () => {
      const img = await readIndexPng(writePng({ width: W, height: H, values, colorType: 3, palette, filter }));
      assert.ok(img);
      assert.deepEqual([img.width, img.height, img.colorType], [W, H, 'palette']);
      assert.deepEqual([...img.data], values);
    });
  }
  it('reads sub-byte palette depths', async () => {
    const v = Array.from({ length: W * H }, (_, i) => i % 4);
    for (const bitDepth of [2, 4] as const) {
      const img = await readIndexPng(writePng({ width: W, height: H, values: v, colorType: 3, bitDepth, palette: palette.slice(0, 4), filter: 1 }));
      assert.deepEqual([...img!.data], v, `bit depth ${bitDepth}`);
    }
  });
  it('agrees with sharp on a grey PNG and leaves RGB to sharp', async () => {
    const grey = Buffer.from(values.map((v) => v * 12));
    const png = await sharp(grey, { raw: { width: W, height: H, channels: 1 } }).toColourspace('b-w').png().toBuffer();
    assert.deepEqual([...(await readIndexPng(png))!.data], [...grey]);
    const rgb = await sharp(Buffer.alloc(W * H * 3, 9), { raw: { width: W, height: H, channels: 3 } }).png().toBuffer();
    assert.equal(await readIndexPng(rgb), undefined);
  });
  it('a damaged palette PNG throws instead of returning garbage', async () => {
    const png = writePng({ width: W, height: H, values, colorType: 3, palette });
    const cut = Buffer.concat([png.subarray(0, 33 + 12 + 63 + 8), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])]);
    await assert.rejects(readIndexPng(cut));
  });

  // Issue #20: the chunk layout is unambiguous and the image data inflates to exactly what the header implies.
  const grey = () => writePng({ width: W, height: H, values, colorType: 0 });
  const parts = (png: Buffer) => {
    const out: Buffer[] = [];
    for (let p = 8; p < png.length; ) {
      const len = png.readUInt32BE(p);
      out.push(png.subarray(p, p + 12 + len));
      p += 12 + len;
    }
    return out;
  };
  const assemble = (chunks: Buffer[]) => Buffer.concat([grey().subarray(0, 8), ...chunks]);
  const refused = (png: Buffer, why: RegExp) => assert.rejects(readIndexPng(png), (e: Error) => why.test(e.message));
  it('a second IHDR is refused, wherever it is', async () => {
    const [ihdr, idat, iend] = parts(grey());
    const big = parts(writePng({ width: 3000, height: 3000, values: new Uint8Array(9e6), colorType: 0 }))[0];
    await refused(assemble([ihdr, idat, big, iend]), /second IHDR/);
    await refused(assemble([ihdr, big, idat, iend]), /second IHDR/);
  });
  it('an IHDR that is not first is refused', async () => {
    const [ihdr, idat, iend] = parts(grey());
    await refused(assemble([chunk('tEXt', Buffer.from('a\0b')), ihdr, idat, iend]), /before IHDR/);
  });
  it('image data that inflates past the header, or with data after its end, is refused', async () => {
    const [ihdr, , iend] = parts(grey());
    const rows = (extra: number) => Buffer.alloc((W + 1) * H + extra);
    await refused(assemble([ihdr, chunk('IDAT', zlib.deflateSync(rows(1))), iend]), /inflates past the 18 bytes/);
    await refused(assemble([ihdr, chunk('IDAT', zlib.deflateSync(rows(100 * 1024 * 1024))), iend]), /inflates past/);
    await refused(assemble([ihdr, chunk('IDAT', Buffer.concat([zlib.deflateSync(rows(0)), Buffer.from('more')])), iend]), /4 bytes of image data after its end/);
    await refused(assemble([ihdr, chunk('IDAT', zlib.deflateSync(rows(-1))), iend]), /truncated/);
    assert.equal((await readIndexPng(assemble([ihdr, chunk('IDAT', zlib.deflateSync(rows(0))), iend])))?.data.length, W * H, 'exactly the length: read');
  });
  it('the decode time limit applies (1002, --decode-timeout-ms)', async () => {
    // 16 megapixels cannot inflate and unfilter within 1 ms.
    const big = writePng({ width: 4000, height: 4000, values: new Uint8Array(16e6), colorType: 0 });
    process.env.SEGLENS_DECODE_TIMEOUT_MS = '1';
    try {
      await assert.rejects(readIndexPng(big, { maxPixels: Infinity, what: 'gt.png' }), (e: { code: number; message: string }) => e.code === 1002 && /gt\.png took longer than 1 ms/.test(e.message));
    } finally {
      delete process.env.SEGLENS_DECODE_TIMEOUT_MS;
    }
  });
  it('the pixel limit applies to the header (1003)', async () => {
    await assert.rejects(readIndexPng(grey(), { maxPixels: W * H - 1, what: 'gt.png' }), (e: { code: number; message: string }) => e.code === 1003 && /gt\.png is 5x3/.test(e.message));
  });
});
