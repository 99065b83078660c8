// The Segment Anything frame (issue 25): the image resized so that its longer side is the
// encoder's size S, normalised, zero-padded at the bottom and right; prompts moved into that
// frame as segment-anything's ResizeLongestSide does (utils/transforms.py:
// get_preprocess_shape rounds the resized sides with int(x + 0.5), apply_coords scales x by
// new_w / old_w and y by new_h / old_h, with those rounded sides).
import type { DisplayRegion, PromptPoint } from '../../../api/protocol';

/** [newHeight, newWidth]: the image's size once its longer side is S (get_preprocess_shape). */
export function resizedSize(height: number, width: number, S: number): [number, number] {
  const scale = S / Math.max(height, width);
  return [Math.floor(height * scale + 0.5), Math.floor(width * scale + 0.5)];
}

/**
 * The decoder's point_coords [1,N,2] and point_labels [1,N]: the points (label 1 or 0), then the
 * box's corners (labels 2 and 3), or, without a box, the padding point (0, 0) labelled -1 (as
 * segment-anything's ONNX example does), every coordinate in the S frame.
 */
export function promptTensors(points: readonly PromptPoint[], box: DisplayRegion | undefined, height: number, width: number, S: number): { coords: Float32Array; labels: Float32Array; n: number } {
  const [newH, newW] = resizedSize(height, width, S);
  const sx = newW / width;
  const sy = newH / height;
  const n = points.length + (box ? 2 : 1);
  const coords = new Float32Array(2 * n);
  const labels = new Float32Array(n);
  points.forEach((p, i) => {
    coords[2 * i] = p.x * sx;
    coords[2 * i + 1] = p.y * sy;
    labels[i] = p.label;
  });
  const k = points.length;
  if (box) {
    coords.set([box.left * sx, box.top * sy, (box.left + box.width) * sx, (box.top + box.height) * sy], 2 * k);
    labels.set([2, 3], k);
  } else {
    labels[k] = -1;
  }
  return { coords, labels, n };
}

/**
 * Fills `out` ([1,3,S,S], NCHW) from interleaved RGB `rgb` (w x h, already resized to
 * resizedSize) with (v - mean[c]) / std[c], and zeros (the normalised padding) elsewhere.
 */
export function fillPadded(rgb: Uint8Array, w: number, h: number, S: number, tables: Float32Array[], out: Float32Array): Float32Array {
  if (out.length !== 3 * S * S) throw new RangeError(`tensor buffer has ${out.length} elements, need ${3 * S * S}`);
  out.fill(0);
  const plane = S * S;
  for (let y = 0; y < h; y++) {
    let src = y * w * 3;
    const row = y * S;
    for (let x = 0; x < w; x++, src += 3) {
      out[row + x] = tables[0][rgb[src]];
      out[plane + row + x] = tables[1][rgb[src + 1]];
      out[2 * plane + row + x] = tables[2][rgb[src + 2]];
    }
  }
  return out;
}

/** Candidate k of masks [1,K,H,W] as 8-bit, 255 where the logit is > 0. */
export function candidateMask(masks: Float32Array, k: number, H: number, W: number, out: Uint8Array): Uint8Array {
  const n = H * W;
  const base = k * n;
  for (let i = 0; i < n; i++) out[i] = masks[base + i] > 0 ? 255 : 0;
  return out;
}

/** The index of the best score (the first of equals). */
export function bestIndex(scores: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  return best;
}
