// A gallery of an instance mode (issue 24): the folder's instances collected as the CLI's
// `--gt FILE.json` run collects them (daemon/api/coco/instanceRun.ts, the same AP as the CLI
// and pycocotools), per image tp, fp, fn and f1 at IoU 0.5 with the mode's scoreThreshold, the
// folder's mask AP table, and the two exports (coco.json, coco-results.json). AP is computed on
// exactly the detections at or over the mode's scoreThreshold. No vscode here.
import * as path from 'node:path';
import { CocoGroundTruth, matchImage } from '../../daemon/api/coco/cocoGroundTruth';
import { InstanceRun } from '../../daemon/api/coco/instanceRun';
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

  /** The exports: coco.json (one annotation per instance, with its score) and coco-results.json (loadRes's list). */
  files(version: string): { coco: string; results: string } {
    return { coco: JSON.stringify(this.run.cocoFile(version)), results: JSON.stringify(this.run.results()) };
  }
}
