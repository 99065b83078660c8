// A COCO instances file as ground truth (`seglens segment --gt FILE.json`, issue 24): images
// matched to the run's images by `file_name` (a path relative to the input root, else the base
// name), segmentations as polygons, uncompressed or compressed RLE (COCO.annToRLE), `iscrowd`
// kept, categories matched to the mode's labels by name. A file that is not one fails with a
// message naming what is wrong.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EvalGt } from './cocoEval';
import { Rle, rleArea, rleFromPolygon, rleFromString, rleUnion } from './rle';

export interface GtImage {
  id: number;
  fileName: string;
  width: number;
  height: number;
}
export interface GtCategory {
  id: number;
  name: string;
}
export interface CocoGroundTruth {
  file: string;
  images: GtImage[];
  categories: GtCategory[];
  annotations: EvalGt[];
}

export class CocoFileError extends Error {}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function segmentationRle(seg: unknown, img: GtImage, where: string): Rle {
  const { height: h, width: w } = img;
  if (Array.isArray(seg)) {
    if (seg.length === 0 || !seg.every((p) => Array.isArray(p) && p.length >= 4 && p.every(isNum))) throw new CocoFileError(`${where}: a polygon segmentation is a list of [x0, y0, x1, y1, ...] lists`);
    return rleUnion((seg as number[][]).map((p) => rleFromPolygon(p, h, w)));
  }
  if (isObj(seg) && Array.isArray(seg.size) && seg.size.length === 2 && seg.size.every(isNum)) {
    const [sh, sw] = seg.size as [number, number];
    if (typeof seg.counts === 'string') return rleFromString(seg.counts, sh, sw);
    if (Array.isArray(seg.counts) && seg.counts.every((c) => isNum(c) && c >= 0)) {
      const counts = seg.counts as number[];
      if (counts.reduce((a, b) => a + b, 0) !== sh * sw) throw new CocoFileError(`${where}: RLE counts add up to ${counts.reduce((a, b) => a + b, 0)}, not ${sh}x${sw}`);
      return { h: sh, w: sw, counts: [...counts] };
    }
  }
  throw new CocoFileError(`${where}: segmentation must be polygons, {size, counts: [...]} or {size, counts: "..."}`);
}

/** Reads and checks a COCO instances file. */
export function readCocoGroundTruth(file: string): CocoGroundTruth {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CocoFileError(`${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const bad = (what: string) => new CocoFileError(`${file}: not a COCO instances file (${what})`);
  if (!isObj(json) || !Array.isArray(json.images) || !Array.isArray(json.annotations) || !Array.isArray(json.categories)) throw bad('it needs "images", "annotations" and "categories" lists');
  const images = json.images.map((v, i): GtImage => {
    if (!isObj(v) || !isNum(v.id) || typeof v.file_name !== 'string' || !isNum(v.width) || !isNum(v.height)) throw bad(`images[${i}] needs id, file_name, width, height`);
    return { id: v.id, fileName: v.file_name, width: v.width, height: v.height };
  });
  const categories = json.categories.map((v, i): GtCategory => {
    if (!isObj(v) || !isNum(v.id) || typeof v.name !== 'string') throw bad(`categories[${i}] needs id and name`);
    return { id: v.id, name: v.name };
  });
  const byId = new Map(images.map((im) => [im.id, im]));
  const annotations = json.annotations.map((v, i): EvalGt => {
    const where = `${file}: annotations[${i}]`;
    if (!isObj(v) || !isNum(v.id) || !isNum(v.image_id) || !isNum(v.category_id)) throw new CocoFileError(`${where} needs id, image_id, category_id`);
    const img = byId.get(v.image_id);
    if (!img) throw new CocoFileError(`${where}: image_id ${v.image_id} is not in "images"`);
    const rle = segmentationRle(v.segmentation, img, where);
    return { id: v.id, imageId: v.image_id, categoryId: v.category_id, rle, iscrowd: v.iscrowd === 1 || v.iscrowd === true, area: isNum(v.area) ? v.area : rleArea(rle) };
  });
  return { file, images, categories, annotations };
}

const posix = (p: string) => p.split(path.sep).join('/').replace(/^\.\//, '');

/** The ground-truth image of an input image: by `file_name` as a path relative to the input root, else by base name (when only one image has it). */
export function matchImage(gt: CocoGroundTruth, rel: string): GtImage | undefined {
  const want = posix(rel);
  const exact = gt.images.find((im) => posix(im.fileName) === want);
  if (exact) return exact;
  const base = path.posix.basename(want);
  const same = gt.images.filter((im) => path.posix.basename(posix(im.fileName)) === base);
  return same.length === 1 ? same[0] : undefined;
}

/** Mode labels ↔ ground-truth categories by name; what has no partner on either side. */
export function matchCategories(gt: CocoGroundTruth, labels: readonly string[]): { byLabel: Map<number, number>; unmatchedCategories: string[]; unmatchedLabels: string[] } {
  const byLabel = new Map<number, number>();
  const norm = (s: string) => s.trim().toLowerCase();
  const used = new Set<number>();
  labels.forEach((l, i) => {
    const c = gt.categories.find((c) => norm(c.name) === norm(l));
    if (c) {
      byLabel.set(i, c.id);
      used.add(c.id);
    }
  });
  return {
    byLabel,
    unmatchedCategories: gt.categories.filter((c) => !used.has(c.id)).map((c) => c.name),
    unmatchedLabels: labels.filter((_, i) => !byLabel.has(i) && !/^(__background__|background|N\/A)$/i.test(labels[i])),
  };
}
