// A composite sample of two subjects side by side (issue 22), made from the sample photos with
// sharp, deterministically: each photo is resized to one height and placed on a plain canvas,
// so a salient-object model picks one subject and a box around the other one picks that one.
// The daemon's region test and the refine e2e both build it; each tile is also given alone
// (`tilePng`), to segment that subject by itself and compare.
import * as path from 'node:path';
import sharp from 'sharp';
import type { DisplayRegion } from '../../daemon/api/protocol';
import { samplesDir } from './repo';

export interface CompositeTile {
  /** The sample file the tile was made from. */
  file: string;
  /** Where the tile lies on the canvas (its faded edges included). */
  box: DisplayRegion;
}

export interface CompositeSample {
  /** Lossless PNG of the canvas with every tile. */
  png: Buffer;
  width: number;
  height: number;
  /** Left to right. */
  tiles: CompositeTile[];
  /** The sample the composite is tuned for the model to prefer (the larger subject). */
  preferred: string;
  /** Tile `i` alone, as its own image (its box of a canvas holding only that tile), lossless PNG. */
  alone(i: number): Promise<Buffer>;
}

export interface CompositeOptions {
  /** Sample file names, left to right. */
  samples?: string[];
  /** Height of each tile, in the order of `samples` (tiles are centred vertically). */
  tileHeights?: number[];
  /** Width of the fade of each tile's edges into the canvas, as a fraction of its shorter side
   *  (hard photo edges are salient objects of their own). */
  feather?: number;
  /** Canvas pixels around and between the tiles. */
  gap?: number;
  /** The canvas colour. */
  background?: [number, number, number];
}

/**
 * Tuned with ISNet `fast` and `balanced` (issue 22): a large cat and a small cup on light grey.
 * The whole image's mask covers the cat (0.88 / 0.90 of its own mask) and none of the cup; a box
 * around the cup plus 10% gives the cup's own mask at IoU 0.99 / 0.97. With whole photos on the
 * canvas (no fade), both photos came out as objects; with subjects of similar size, both were
 * segmented; on mid grey, `fast` covered 17% of the cup.
 */
export const COMPOSITE_DEFAULTS: Required<CompositeOptions> = {
  samples: ['chelsea-cat.jpg', 'coffee-cup.jpg'],
  tileHeights: [480, 160],
  feather: 0.15,
  gap: 40,
  background: [200, 200, 200],
};

interface Tile {
  rgb: Buffer;
  alpha: Float32Array;
  box: DisplayRegion;
}

/** Coverage of a tile's pixel: 1 inside, easing to 0 at its edges over `f` pixels (smoothstep). */
function fade(width: number, height: number, f: number): Float32Array {
  const a = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = Math.min(1, (Math.min(x, y, width - 1 - x, height - 1 - y) + 0.5) / f);
      a[y * width + x] = t * t * (3 - 2 * t);
    }
  }
  return a;
}

/** The canvas with `tiles` blended over the background, in integer arithmetic after the coverage: the same bytes everywhere. */
function paint(width: number, height: number, background: [number, number, number], tiles: Tile[]): Buffer {
  const out = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) out.set(background, i * 3);
  for (const t of tiles) {
    for (let y = 0; y < t.box.height; y++) {
      for (let x = 0; x < t.box.width; x++) {
        const a = t.alpha[y * t.box.width + x];
        const src = (y * t.box.width + x) * 3;
        const dst = ((t.box.top + y) * width + t.box.left + x) * 3;
        for (let c = 0; c < 3; c++) out[dst + c] = Math.round(out[dst + c] * (1 - a) + t.rgb[src + c] * a);
      }
    }
  }
  return out;
}

/** The canvas and where each tile lies. */
export async function buildComposite(options: CompositeOptions = {}): Promise<CompositeSample> {
  const o = { ...COMPOSITE_DEFAULTS, ...options };
  const canvasInner = Math.max(...o.tileHeights);
  const tiles: Tile[] = [];
  let left = o.gap;
  for (const [i, name] of o.samples.entries()) {
    const file = path.join(samplesDir, name);
    const h = o.tileHeights[i] ?? canvasInner;
    const { data, info } = await sharp(file).rotate().removeAlpha().resize({ height: h, kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true });
    const box = { left, top: o.gap + Math.floor((canvasInner - info.height) / 2), width: info.width, height: info.height };
    tiles.push({ rgb: data, alpha: fade(info.width, info.height, Math.max(1, o.feather * Math.min(info.width, info.height))), box });
    left += info.width + o.gap;
  }
  const width = left;
  const height = canvasInner + 2 * o.gap;
  const png = (only: Tile[]) => sharp(paint(width, height, o.background, only), { raw: { width, height, channels: 3 } });
  const files = o.samples.map((name) => path.join(samplesDir, name));
  return {
    png: await png(tiles).png().toBuffer(),
    width,
    height,
    tiles: tiles.map((t, i) => ({ file: files[i], box: t.box })),
    preferred: files[tiles.reduce((best, t, i) => (t.box.width * t.box.height > tiles[best].box.width * tiles[best].box.height ? i : best), 0)],
    alone: (i) => png([tiles[i]]).extract(tiles[i].box).png().toBuffer(),
  };
}

/** `box` grown by `fraction` of its size on every side, clipped to the canvas (the refine box's margin). */
export function withMargin(box: DisplayRegion, fraction: number, width: number, height: number): DisplayRegion {
  const dx = Math.round(box.width * fraction);
  const dy = Math.round(box.height * fraction);
  const left = Math.max(0, box.left - dx);
  const top = Math.max(0, box.top - dy);
  const right = Math.min(width, box.left + box.width + dx);
  const bottom = Math.min(height, box.top + box.height + dy);
  return { left, top, width: right - left, height: bottom - top };
}

/** The bounding box of a mask's foreground (>= 128), in its pixels; undefined when it has none. */
export function foregroundBox(mask: Uint8Array, width: number, height: number): DisplayRegion | undefined {
  let [x0, y0, x1, y1] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (mask[y * width + x] < 128) continue;
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  }
  return x1 < 0 ? undefined : { left: x0, top: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}
