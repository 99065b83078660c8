// What a folder run of an instance mode collects (issue 24) and what it gives:
//   - `coco.json`: images, one annotation per instance with its `score`, categories;
//   - `coco-results.json`: the list COCO's loadRes reads, [{image_id, category_id,
//     segmentation (compressed RLE), bbox, score}], each image's instances best first;
//   - against a COCO ground truth: image and category ids are the ground truth's (instances of
//     labels without a category, and images not in the ground truth, are left out of both), mask
//     AP computed on exactly the results' detections (cocoEval.ts), and per image at IoU 0.50
//     with the mode's own threshold: instances, tp, fp, fn, f1.
import { ModeInfo, SegmentInstance } from '../protocol';
import { EvalDt, EvalGt, cocoEvaluate, matchAtHalf } from './cocoEval';
import { CocoGroundTruth, GtImage, matchCategories, matchImage } from './cocoGroundTruth';
import { rleArea, rleFromString, rleToBbox } from './rle';

export interface CocoResult {
  image_id: number;
  category_id: number;
  segmentation: { size: [number, number]; counts: string };
  bbox: [number, number, number, number];
  score: number;
}

export interface InstanceImageFields {
  instances: number;
  tp?: number;
  fp?: number;
  fn?: number;
  f1?: number;
}
export interface InstanceSummaryFields {
  ap: number | null;
  ap50: number | null;
  ap75: number | null;
  classes: { name: string; ap: number | null }[];
  /** Ground-truth images none of the run's images matched (their objects count as missed). */
  gtImagesNotInRun: number;
  unmatchedCategories: string[];
  unmatchedLabels: string[];
  /** Detections in coco-results.json (at or over `scoreThreshold`). */
  detections: number;
  scoreThreshold: number;
}

interface Entry {
  rel: string;
  width: number;
  height: number;
  instances: SegmentInstance[];
  gtImage?: GtImage;
}

const r6 = (v: number) => Math.round(v * 1e6) / 1e6;
const apOrNull = (v: number) => (v < 0 ? null : r6(v));

export class InstanceRun {
  private readonly entries = new Map<number, Entry>();
  private readonly categories?: ReturnType<typeof matchCategories>;

  constructor(
    private readonly mode: ModeInfo,
    /** Detections at or over this go to coco-results.json and AP. */
    readonly scoreThreshold: number,
    /** The mode's own threshold: per-image tp/fp/fn. */
    private readonly modeThreshold: number,
    private readonly gt?: CocoGroundTruth,
  ) {
    if (gt) this.categories = matchCategories(gt, mode.labels);
  }

  /** The image at position `index` of the run (its path relative to the input root). */
  add(index: number, rel: string, width: number, height: number, instances: SegmentInstance[]): void {
    this.entries.set(index, { rel, width, height, instances, gtImage: this.gt ? matchImage(this.gt, rel) : undefined });
  }

  /** The ground-truth `file_name` the image matched (with --gt). */
  groundTruthName(index: number): string | undefined {
    return this.entries.get(index)?.gtImage?.fileName;
  }

  private ordered(): [number, Entry][] {
    return [...this.entries].sort((a, b) => a[0] - b[0]);
  }

  /** Image ids: the ground truth's, else 1.. in run order. */
  private imageIds(): Map<number, number> {
    const ids = new Map<number, number>();
    this.ordered().forEach(([index, e], k) => {
      if (!this.gt) ids.set(index, k + 1);
      else if (e.gtImage) ids.set(index, e.gtImage.id);
    });
    return ids;
  }

  private categoryId(cls: number): number | undefined {
    return this.categories ? this.categories.byLabel.get(cls) : cls + 1;
  }

  /** coco-results.json, in run order, each image's instances best first. */
  results(): CocoResult[] {
    const ids = this.imageIds();
    const out: CocoResult[] = [];
    for (const [index, e] of this.ordered()) {
      const imageId = ids.get(index);
      if (imageId === undefined) continue;
      for (const inst of e.instances) {
        const category = this.categoryId(inst.class);
        if (category === undefined || inst.score < this.scoreThreshold || !inst.rle) continue;
        const rle = rleFromString(inst.rle.counts, e.height, e.width);
        out.push({ image_id: imageId, category_id: category, segmentation: inst.rle, bbox: rleToBbox(rle), score: inst.score });
      }
    }
    return out;
  }

  /** coco.json: one annotation per instance, with its score. */
  cocoFile(version: string): unknown {
    const ids = this.imageIds();
    const images: unknown[] = [];
    const annotations: unknown[] = [];
    for (const [index, e] of this.ordered()) {
      const id = ids.get(index);
      if (id === undefined) continue;
      images.push({ id, file_name: e.gtImage?.fileName ?? e.rel, width: e.width, height: e.height });
      for (const inst of e.instances) {
        const category = this.categoryId(inst.class);
        if (category === undefined || !inst.rle) continue;
        const rle = rleFromString(inst.rle.counts, e.height, e.width);
        annotations.push({ id: annotations.length + 1, image_id: id, category_id: category, segmentation: inst.rle, area: rleArea(rle), bbox: rleToBbox(rle), iscrowd: 0, score: inst.score });
      }
    }
    const categories = this.gt ? this.gt.categories.map((c) => ({ id: c.id, name: c.name, supercategory: '' })) : this.mode.labels.map((name, i) => ({ id: i + 1, name, supercategory: this.mode.id }));
    return { info: { description: `SegLens instances, mode ${this.mode.id}`, version }, images, annotations, categories };
  }

  /** An image's instances as detections (matched categories only), whatever their score. */
  private detections(e: Entry, imageId: number): EvalDt[] {
    const out: EvalDt[] = [];
    for (const inst of e.instances) {
      const category = this.categoryId(inst.class);
      if (category === undefined || !inst.rle) continue;
      out.push({ id: out.length + 1, imageId, categoryId: category, rle: rleFromString(inst.rle.counts, e.height, e.width), score: inst.score });
    }
    return out;
  }

  /** The image at `index` against its ground truth: its objects and its detections at or over the mode's threshold (what its tp/fp/fn count). */
  imageMatch(index: number): { gts: EvalGt[]; dts: EvalDt[]; width: number; height: number } | undefined {
    const e = this.entries.get(index);
    if (!this.gt || !e?.gtImage) return undefined;
    const id = e.gtImage.id;
    return { gts: this.gt.annotations.filter((g) => g.imageId === id), dts: this.detections(e, id).filter((d) => d.score >= this.modeThreshold), width: e.width, height: e.height };
  }

  /** Per image (by run index) and for the folder, against the ground truth. */
  evaluate(): { images: Map<number, InstanceImageFields>; summary?: InstanceSummaryFields } {
    const images = new Map<number, InstanceImageFields>();
    for (const [index, e] of this.entries) images.set(index, { instances: e.instances.filter((i) => i.score >= this.modeThreshold).length });
    if (!this.gt || !this.categories) return { images };
    const results = this.results();
    const dts: EvalDt[] = results.map((r, i) => ({ id: i + 1, imageId: r.image_id, categoryId: r.category_id, rle: rleFromString(r.segmentation.counts, r.segmentation.size[0], r.segmentation.size[1]), score: r.score }));
    const gts = this.gt.annotations;
    const ev = cocoEvaluate(gts, dts, this.gt.images.map((i) => i.id), this.gt.categories.map((c) => c.id));
    for (const [index, e] of this.entries) {
      if (!e.gtImage) continue;
      const id = e.gtImage.id;
      const own = this.detections(e, id).filter((d) => d.score >= this.modeThreshold);
      const m = matchAtHalf(
        gts.filter((g: EvalGt) => g.imageId === id),
        own,
      );
      const f1 = m.tp + m.fp + m.fn === 0 ? 1 : (2 * m.tp) / (2 * m.tp + m.fp + m.fn);
      images.set(index, { ...images.get(index)!, ...m, f1: r6(f1) });
    }
    const matched = new Set([...this.entries.values()].map((e) => e.gtImage?.id));
    return {
      images,
      summary: {
        ap: apOrNull(ev.ap),
        ap50: apOrNull(ev.ap50),
        ap75: apOrNull(ev.ap75),
        classes: this.gt.categories.map((c) => ({ name: c.name, ap: apOrNull(ev.perCategory.get(c.id) ?? -1) })),
        gtImagesNotInRun: this.gt.images.filter((i) => !matched.has(i.id)).length,
        unmatchedCategories: this.categories.unmatchedCategories,
        unmatchedLabels: this.categories.unmatchedLabels,
        detections: results.length,
        scoreThreshold: this.scoreThreshold,
      },
    };
  }
}
