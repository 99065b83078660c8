// One COCO JSON per run (`<out>/coco.json`): images, one annotation per class present in each
// image with its mask as compressed RLE (cocoRle.ts), and the mode's categories.
// Binary modes: one category (the foreground label), pixels at the export threshold.
// Semantic modes: a category per label, id = class index + 1 (COCO ids start at 1).
import { ModeInfo } from '../protocol';
import { CocoRle, encodeRle } from './cocoRle';

export interface CocoImage {
  id: number;
  file_name: string;
  width: number;
  height: number;
}
export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  segmentation: CocoRle;
  area: number;
  /** [x, y, width, height] of the mask's pixels. */
  bbox: [number, number, number, number];
  iscrowd: 0;
}
export interface CocoCategory {
  id: number;
  name: string;
  supercategory: string;
}
export interface CocoFile {
  // No date: the same run gives the same bytes.
  info: { description: string; version: string };
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
}

function bbox(fg: Uint8Array, width: number, height: number): [number, number, number, number] {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!fg[y * width + x]) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

interface Entry {
  fileName: string;
  width: number;
  height: number;
  /** Annotations without ids (assigned in image order when the file is made). */
  annotations: Omit<CocoAnnotation, 'id' | 'image_id'>[];
}

/** Collects images in any order (by their index in the run), writes them in index order. */
export class CocoBuilder {
  private readonly entries = new Map<number, Entry>();

  constructor(
    private readonly mode: ModeInfo,
    /** Binary foreground: alpha >= this (0..255). */
    private readonly alphaThreshold = 128,
  ) {}

  categories(): CocoCategory[] {
    if (this.mode.task === 'binary') return [{ id: 1, name: this.mode.labels[1] ?? 'foreground', supercategory: this.mode.id }];
    return this.mode.labels.map((name, i) => ({ id: i + 1, name, supercategory: this.mode.id }));
  }

  /** Adds the image at position `index` of the run with its mask (binary: alpha; semantic: class indices). */
  add(index: number, fileName: string, mask: Uint8Array, width: number, height: number): void {
    const classes: [number, Uint8Array][] = [];
    if (this.mode.task === 'binary') {
      classes.push([1, mask.map((v) => (v >= this.alphaThreshold ? 1 : 0))]);
    } else {
      for (const c of [...new Set(mask)].sort((a, b) => a - b)) classes.push([c + 1, mask.map((v) => (v === c ? 1 : 0))]);
    }
    const annotations: Entry['annotations'] = [];
    for (const [categoryId, fg] of classes) {
      let area = 0;
      for (const v of fg) area += v;
      if (area === 0) continue;
      annotations.push({ category_id: categoryId, segmentation: encodeRle(fg, width, height), area, bbox: bbox(fg, width, height), iscrowd: 0 });
    }
    this.entries.set(index, { fileName, width, height, annotations });
  }

  toJSON(version: string): CocoFile {
    const images: CocoImage[] = [];
    const annotations: CocoAnnotation[] = [];
    for (const [, e] of [...this.entries].sort((a, b) => a[0] - b[0])) {
      const imageId = images.length + 1;
      images.push({ id: imageId, file_name: e.fileName, width: e.width, height: e.height });
      for (const a of e.annotations) annotations.push({ id: annotations.length + 1, image_id: imageId, ...a });
    }
    return {
      info: { description: `SegLens masks, mode ${this.mode.id}`, version },
      images,
      annotations,
      categories: this.categories(),
    };
  }
}
