// COCO RLE (checked by a decoder written here from the format's description), ground-truth
// discovery rules, shards, the report's summary and CSV.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CocoBuilder } from '../../daemon/api/exports/coco';
import { countsToString, encodeRle, rleCounts } from '../../daemon/api/exports/cocoRle';
import { alphaThreshold } from '../../daemon/api/exports/render';
import { checkRule, cityscapesCandidate, expandRule, findGroundTruth, groundTruthCandidates } from '../../daemon/api/folder/groundTruth';
import { ReportBuilder, reportCsv } from '../../daemon/api/folder/report';
import { ModeInfo, ScoreResult } from '../../daemon/api/protocol';
import { shardOf } from '../../daemon/tools/cli/inputs';
import { decodeCocoRle } from '../helpers/cocoRleDecoder';

describe('COCO compressed RLE', () => {
  it('hand-worked strings', () => {
    assert.equal(countsToString([3, 2, 5]), '325');
    assert.equal(countsToString([0, 40]), '0X1'); // 40 = 8 + 1*32: '8'|0x20 → 'X', then '1'
    // from the 4th count on, the delta to the count two before: 7 - 2 = 5 → '5'; 1 - 5 = -4 → 0x1c → 'L'
    assert.equal(countsToString([1, 2, 5, 7, 1]), '1255L');
  });
  it('column-major counts starting with zeros', () => {
    // 2 rows x 3 columns:  [1 0 1]
    //                      [1 0 0]   column-major: 1,1, 0,0, 1,0 → counts 0,2,2,1,1
    assert.deepEqual(rleCounts(Uint8Array.from([1, 0, 1, 1, 0, 0]), 3, 2), [0, 2, 2, 1, 1]);
    // The same mask held column by column (as a decoded RLE is): the same counts.
    assert.deepEqual(rleCounts(Uint8Array.from([1, 1, 0, 0, 1, 0]), 3, 2, 'columnMajor'), [0, 2, 2, 1, 1]);
  });
  it('random masks survive an independent decode', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (const [w, h, density] of [[17, 9, 0.5], [64, 48, 0.05], [5, 300, 0.97], [1, 1, 1], [40, 30, 0]] as const) {
      const fg = Uint8Array.from({ length: w * h }, () => (rnd() < density ? 1 : 0));
      const rle = encodeRle(fg, w, h);
      assert.deepEqual(rle.size, [h, w]);
      assert.deepEqual([...decodeCocoRle(rle)], [...fg], `${w}x${h}`);
    }
  });
  it('a coco file: images in run order, one annotation per class present, categories from 1', () => {
    const mode: ModeInfo = { id: 'm', label: 'm', description: '', task: 'semantic', inputSize: [1, 1], labels: ['bg', 'a', 'b'] };
    const b = new CocoBuilder(mode);
    b.add(1, 'second.png', Uint8Array.from([0, 0, 0, 0]), 2, 2);
    b.add(0, 'first.png', Uint8Array.from([0, 2, 2, 2]), 2, 2);
    const j = b.toJSON('1');
    assert.deepEqual(j.images.map((i) => [i.id, i.file_name]), [[1, 'first.png'], [2, 'second.png']]);
    assert.deepEqual(j.annotations.map((a) => [a.id, a.image_id, a.category_id, a.area, a.bbox]), [
      [1, 1, 1, 1, [0, 0, 1, 1]],
      [2, 1, 3, 3, [0, 0, 2, 2]],
      [3, 2, 1, 4, [0, 0, 2, 2]],
    ]);
    assert.deepEqual(j.categories.map((c) => [c.id, c.name]), [[1, 'bg'], [2, 'a'], [3, 'b']]);
    assert.deepEqual([...decodeCocoRle(j.annotations[1].segmentation)], [0, 1, 1, 1]);
  });
  it('threshold 0.5 means alpha >= 128', () => {
    assert.deepEqual([alphaThreshold(0.5), alphaThreshold(0), alphaThreshold(1)], [128, 0, 255]);
  });
});

describe('ground-truth discovery', () => {
  const root = path.resolve('/data/set');
  const img = path.join(root, 'images', 'sub', 'cat.01.jpg');
  it('templates', () => {
    assert.equal(expandRule('{dir}/../masks/{stem}.png', img, root), path.join(root, 'images', 'masks', 'cat.01.png'));
    assert.equal(expandRule('{root}/gt/{rel}.png', img, root), path.join(root, 'gt', 'images', 'sub', 'cat.01.png'));
    assert.equal(expandRule('labels/{name}.png', img, root), path.join(root, 'labels', 'cat.01.jpg.png'));
  });
  it('auto: the folders beside, then the _mask / .mask files, in order', () => {
    const c = groundTruthCandidates(img, root, 'auto');
    const d = path.join(root, 'images');
    assert.deepEqual(c, [
      path.join(d, 'masks', 'cat.01.png'),
      path.join(d, 'labels', 'cat.01.png'),
      path.join(d, 'annotations', 'cat.01.png'),
      path.join(d, 'SegmentationClass', 'cat.01.png'),
      path.join(d, 'sub', 'cat.01_mask.png'),
      path.join(d, 'sub', 'cat.01.mask.png'),
    ]);
    const present = new Set([c[3], c[4]]);
    assert.equal(findGroundTruth(img, root, 'auto', (p) => present.has(p)), c[3]);
    assert.equal(findGroundTruth(img, root, 'none', () => true), undefined);
  });
  it('Cityscapes', () => {
    const cs = path.join(root, 'leftImg8bit', 'val', 'lindau', 'lindau_000001_000019_leftImg8bit.png');
    assert.equal(cityscapesCandidate(cs), path.join(root, 'gtFine', 'val', 'lindau', 'lindau_000001_000019_gtFine_labelIds.png'));
    assert.equal(groundTruthCandidates(cs, root, 'auto').at(-1), cityscapesCandidate(cs));
    assert.equal(cityscapesCandidate(img), undefined);
  });
  it('rules are checked', () => {
    assert.equal(checkRule('auto'), undefined);
    assert.match(checkRule('{dir}/{stm}.png')!, /unknown placeholder \{stm\}/);
    assert.match(checkRule('{dir}/mask.png')!, /must contain/);
  });
});

describe('shards and report', () => {
  it('every path goes to exactly one shard, the same each time', () => {
    const paths = Array.from({ length: 300 }, (_, i) => `d${i % 7}/img${i}.jpg`);
    const counts = [0, 0, 0];
    for (const p of paths) counts[shardOf(p, 3) - 1]++;
    assert.equal(counts.reduce((a, b) => a + b), 300);
    for (const c of counts) assert.ok(c > 60, `balanced enough: ${counts}`);
    assert.equal(shardOf('a/b.jpg', 5), shardOf('a/b.jpg', 5));
  });
  it('summary: mean of image IoUs; class IoU over the folder; failures and ground truth counted', () => {
    const b = new ReportBuilder('m');
    const sem = (classes: [number, string, number, number][]): ScoreResult => ({
      mode: 'm', task: 'semantic', width: 1, height: 1, iou: classes.reduce((s, c) => s + c[2] / c[3], 0) / classes.length,
      classes: classes.map(([id, label, intersection, union]) => ({ id, label, intersection, union, iou: intersection / union })),
    });
    b.add({ path: 'b.png', width: 1, height: 1, ms: 1, gt: 'gt/b.png' }, sem([[0, 'bg', 1, 2], [1, 'a', 3, 3]]));
    b.add({ path: 'a.png', width: 1, height: 1, ms: 1, gt: 'gt/a.png' }, sem([[1, 'a', 1, 3]]));
    b.add({ path: 'c.png', width: 0, height: 0, ms: 0, error: { code: 1002, message: 'bad, "really"' } });
    const r = b.build();
    assert.deepEqual(r.images.map((i) => i.path), ['a.png', 'b.png', 'c.png']);
    assert.deepEqual(r.summary, {
      images: 3,
      failed: 1,
      withGroundTruth: 2,
      meanIoU: Math.round((((0.5 + 1) / 2 + 1 / 3) / 2) * 1e6) / 1e6,
      classes: [{ name: 'bg', iou: 0.5 }, { name: 'a', iou: Math.round((4 / 6) * 1e6) / 1e6 }],
    });
    const csv = reportCsv(r).trim().split('\n');
    assert.equal(csv.length, 4);
    assert.equal(csv[0], 'path,width,height,ms,gt,iou,dice,error_code,error_message,iou:bg,iou:a');
    assert.equal(csv[3], 'c.png,0,0,0,,,,1002,"bad, ""really""",,');
  });
  it('CSV: text that a spreadsheet would run as a formula gets a leading quote; numbers stay numbers', () => {
    const b = new ReportBuilder('m');
    for (const p of ['=SUM(1,2)+cmd.png', '+1.png', '-2.png', '@at.png', '\tt.png', '\rr.png', 'plain=.png']) b.add({ path: p, width: 1, height: 1, ms: 1 });
    b.add({ path: 'z.png', width: 0, height: 0, ms: 0, gt: '=gt.png', error: { code: -32602, message: '-bad' } });
    const rows = reportCsv(b.build()).split('\n').slice(1, -1);
    assert.deepEqual(rows, [
      `'\tt.png,1,1,1,,,,,`,
      `"'\rr.png",1,1,1,,,,,`,
      `'+1.png,1,1,1,,,,,`,
      `'-2.png,1,1,1,,,,,`,
      `"'=SUM(1,2)+cmd.png",1,1,1,,,,,`,
      `'@at.png,1,1,1,,,,,`,
      `plain=.png,1,1,1,,,,,`,
      `z.png,0,0,0,'=gt.png,,,-32602,'-bad`,
    ]);
  });
});
