// A gallery of an instance mode (issue 24): the folder's instances collected as the CLI's
// `--gt FILE.json` run collects them (daemon/api/coco/instanceRun.ts, the same AP as the CLI
// and pycocotools), per image tp, fp, fn and f1 at IoU 0.5 with the mode's scoreThreshold, the
// folder's mask AP table, and the two exports (coco.json, coco-results.json). AP is computed on
// exactly the detections at or over the mode's scoreThreshold. No vscode here.
import * as path from 'node:path';
import { EvalDt, EvalGt, evaluateImg } from '../../daemon/api/coco/cocoEval';
import { CocoGroundTruth, matchImage } from '../../daemon/api/coco/cocoGroundTruth';
import { rleDecodeColumnMajor } from '../../daemon/api/coco/rle';
import type { InstanceAgreement } from '../../media/webview/shared/messages';
import { InstanceRun } from '../../daemon/api/coco/instanceRun';
import { withInstanceFields } from '../../daemon/api/coco/instanceReport';
import type { Report } from '../../daemon/api/folder/report';
import type { ModeInfo, SegmentInstance } from '../../daemon/api/protocol';
import type { InstanceTable, TileInfo } from '../../media/webview/shared/galleryMessages';

/** `seglens.groundTruth` naming a COCO instances file (`.json`): its path (relative: to the folder), else undefined. */
export function cocoGroundTruthFile(rule: string, folder: string): string | undefined {
  if (!/\.json$/i.test(rule.trim())) return undefined;
  return path.resolve(folder, rule.trim());
}

export class InstanceFolder {
  private readonly run: InstanceRun;

  constructor(
    mode: ModeInfo,
    /** The folder's ground truth, if any. */
    private readonly gt?: CocoGroundTruth,
  ) {
    const own = mode.instance?.scoreThreshold ?? 0.25;
    this.run = new InstanceRun(mode, own, own, gt);
  }

  /** Whether the image (relative path, '/' separators) is in the ground truth. */
  hasGroundTruth(rel: string): boolean {
    return !!this.gt && matchImage(this.gt, rel) !== undefined;
  }

  /** An image's result (with each instance's RLE), by its index in the folder. */
  add(i: number, rel: string, width: number, height: number, instances: SegmentInstance[]): void {
    this.run.add(i, rel, width, height, instances);
  }

  /** Per image (by index): instances over the threshold and, with a ground truth, tp, fp, fn, f1; and the folder's AP table. */
  evaluate(): { tiles: Map<number, Pick<TileInfo, 'instances' | 'tp' | 'fp' | 'fn' | 'f1'>>; table?: InstanceTable } {
    const { images, summary } = this.run.evaluate();
    if (!summary) return { tiles: images };
    const table: InstanceTable = {
      ap: summary.ap,
      ap50: summary.ap50,
      ap75: summary.ap75,
      classes: summary.classes,
      detections: summary.detections,
      scoreThreshold: summary.scoreThreshold,
      unmatchedCategories: summary.unmatchedCategories,
      gtImagesNotInRun: summary.gtImagesNotInRun,
    };
    return { tiles: images, table };
  }

  /** The image at index `i` against its ground truth (the preview's "vs ground truth"), if it has one and a result. */
  agreement(i: number): InstanceAgreement | undefined {
    const m = this.run.imageMatch(i);
    return m && instanceAgreement(m.gts, m.dts, m.width, m.height);
  }

  /** The folder's report with the CLI's instance fields (per image and the summary's AP); `indexOf`: an image's index by its relative path. */
  report(rep: Report, indexOf: Map<string, number>): Report {
    return withInstanceFields(rep, this.run, indexOf);
  }

  /** The exports: coco.json (one annotation per instance, with its score) and coco-results.json (loadRes's list). */
  files(version: string): { coco: string; results: string } {
    return { coco: JSON.stringify(this.run.cocoFile(version)), results: JSON.stringify(this.run.results()) };
  }
}

/**
 * One image at IoU 0.5, as COCOeval matches per category (the same tp, fp, fn as the tile): the
 * map has 1 on true positives' pixels, 2 on false positives', 3 on missed objects' (crowd
 * regions are never missed); true positives are drawn over the rest, false positives over
 * missed objects.
 */
export function instanceAgreement(gts: EvalGt[], dts: EvalDt[], width: number, height: number): InstanceAgreement {
  const tp: EvalDt[] = [];
  const fp: EvalDt[] = [];
  const missed: EvalGt[] = [];
  for (const cat of new Set([...gts, ...dts].map((x) => x.categoryId))) {
    const g = gts.filter((x) => x.categoryId === cat);
    // Best first, equal scores in their order: evaluateImg's own order, so its indices are these.
    const d = dts
      .filter((x) => x.categoryId === cat)
      .map((x, k) => [x, k] as const)
      .sort((a, b) => b[0].score - a[0].score || a[1] - b[1])
      .map(([x]) => x);
    const e = evaluateImg(g, d);
    if (!e) continue;
    const matched = new Set<number>();
    e.dtMatches[0].forEach((m, k) => {
      if (e.dtIgnore[0][k]) return;
      if (m) matched.add(m);
      (m ? tp : fp).push(d[k]);
    });
    missed.push(...g.filter((x) => !x.iscrowd && !matched.has(x.id)));
  }
  const map = new Uint8Array(width * height);
  const paint = (rle: EvalGt['rle'], v: number) => {
    const bits = rleDecodeColumnMajor(rle);
    for (let x = 0; x < Math.min(width, rle.w); x++) for (let y = 0; y < Math.min(height, rle.h); y++) if (bits[x * rle.h + y]) map[y * width + x] = v;
  };
  for (const g of missed) paint(g.rle, 3);
  for (const d of fp) paint(d.rle, 2);
  for (const d of tp) paint(d.rle, 1);
  const n = { tp: tp.length, fp: fp.length, fn: missed.length };
  return { map, width, height, ...n, f1: n.tp + n.fp + n.fn === 0 ? 1 : (2 * n.tp) / (2 * n.tp + n.fp + n.fn) };
}
