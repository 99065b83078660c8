// The letterbox of instance modes, as Ultralytics' LetterBox (auto=False, scaleup=True): the
// image scaled to fit the input with its aspect kept, the rest grey 114, the padding split
// evenly (the odd pixel goes right / bottom); and its exact inverse for boxes and pixels.
import type { PreprocessSpec } from '../tensor';
import { channelMap } from '../tensor';

export interface Letterbox {
  /** Image size (after EXIF orientation). */
  width: number;
  height: number;
  /** Model input size. */
  inputWidth: number;
  inputHeight: number;
  /** Input pixels per image pixel. */
  gain: number;
  /** The scaled image's size inside the input, and where it starts. */
  innerWidth: number;
  innerHeight: number;
  padLeft: number;
  padTop: number;
}

/** Ultralytics' arithmetic: r = min(S_h/h, S_w/w); unpadded = round(w·r), round(h·r); pad = round(d/2 ∓ 0.1). */
export function letterbox(width: number, height: number, inputWidth: number, inputHeight: number): Letterbox {
  const gain = Math.min(inputHeight / height, inputWidth / width);
  const innerWidth = Math.max(1, Math.min(inputWidth, Math.round(width * gain)));
  const innerHeight = Math.max(1, Math.min(inputHeight, Math.round(height * gain)));
  const padLeft = Math.max(0, Math.round((inputWidth - innerWidth) / 2 - 0.1));
  const padTop = Math.max(0, Math.round((inputHeight - innerHeight) / 2 - 0.1));
  return { width, height, inputWidth, inputHeight, gain, innerWidth, innerHeight, padLeft, padTop };
}

/** Input → image coordinates (ops.scale_boxes: subtract the padding, divide by the gain), not clipped. */
export function toImage(lb: Letterbox, x: number, y: number): [number, number] {
  return [(x - lb.padLeft) / lb.gain, (y - lb.padTop) / lb.gain];
}

/** A box x1,y1,x2,y2 in input pixels → image pixels, clipped to the image. */
export function boxToImage(lb: Letterbox, x1: number, y1: number, x2: number, y2: number): [number, number, number, number] {
  const clip = (v: number, max: number) => (v < 0 ? 0 : v > max ? max : v);
  const [a, b] = toImage(lb, x1, y1);
  const [c, d] = toImage(lb, x2, y2);
  return [clip(a, lb.width), clip(b, lb.height), clip(c, lb.width), clip(d, lb.height)];
}

/**
 * Fills the input tensor: the resized image (innerWidth x innerHeight interleaved RGB) at its
 * place, grey 114 elsewhere, through the mode's layout, colour order and normalisation tables.
 */
export function fillLetterboxTensor(rgb: Uint8Array, lb: Letterbox, spec: Pick<PreprocessSpec, 'layout' | 'colorOrder'>, tables: Float32Array[], out: Float32Array): Float32Array {
  const { inputWidth: W, inputHeight: H, innerWidth: w, innerHeight: h, padLeft, padTop } = lb;
  const n = W * H;
  if (out.length !== 3 * n) throw new RangeError(`tensor buffer has ${out.length} elements, need ${3 * n}`);
  if (rgb.length < w * h * 3) throw new RangeError(`rgb buffer has ${rgb.length} bytes, need ${w * h * 3}`);
  const src = channelMap(spec.colorOrder);
  const planar = spec.layout === 'NCHW';
  for (let k = 0; k < 3; k++) {
    const grey = tables[k][114];
    if (planar) out.fill(grey, k * n, (k + 1) * n);
    else for (let i = k; i < 3 * n; i += 3) out[i] = grey;
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 3;
      const p = (y + padTop) * W + x + padLeft;
      for (let k = 0; k < 3; k++) out[planar ? k * n + p : p * 3 + k] = tables[k][rgb[s + src[k]]];
    }
  }
  return out;
}
