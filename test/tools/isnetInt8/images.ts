// The fixed image set of the int8 ISNet's calibration: each sample photo (media/samples/)
// and deterministic variants of it made with sharp (a mirror, two crops, a downscale and a
// darker copy), each turned into the ISNet input tensor exactly as the engine does for a
// 'reference' mode (reference bilinear resize, (v - 128) / 256, NCHW).
import * as path from 'node:path';
import sharp, { Sharp } from 'sharp';
import { referenceResize } from '../../../daemon/engine/pipeline/resample';
import { fillInputTensor, normalisationTables, PreprocessSpec } from '../../../daemon/engine/pipeline/tensor';

const ISNET_SPEC: PreprocessSpec = { layout: 'NCHW', colorOrder: 'RGB', scale: 1, mean: [128, 128, 128], std: [256, 256, 256] };

export interface Rgb {
  name: string;
  data: Uint8Array;
  width: number;
  height: number;
}

async function raw(name: string, img: Sharp): Promise<Rgb> {
  const { data, info } = await img.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { name, data: new Uint8Array(data), width: info.width, height: info.height };
}

/** A photo and its variants, decoded to RGB. */
export async function variants(file: string): Promise<Rgb[]> {
  const base = path.basename(file, path.extname(file));
  const meta = await sharp(file).metadata();
  const [w, h] = [meta.width as number, meta.height as number];
  const crop = (fx: number, fy: number, fw: number, fh: number) => ({ left: Math.round(w * fx), top: Math.round(h * fy), width: Math.round(w * fw), height: Math.round(h * fh) });
  return Promise.all([
    raw(base, sharp(file)),
    raw(`${base}-mirror`, sharp(file).flop()),
    raw(`${base}-crop-centre`, sharp(file).extract(crop(0.15, 0.15, 0.7, 0.7))),
    raw(`${base}-crop-left`, sharp(file).extract(crop(0, 0.1, 0.6, 0.9))),
    raw(`${base}-half`, sharp(file).resize(Math.round(w / 2), Math.round(h / 2), { kernel: 'linear' })),
    raw(`${base}-dark`, sharp(file).linear(0.6, 0)),
  ]);
}

/** The ISNet input tensor data [1, 3, size, size] of an RGB image. */
export function isnetTensor(img: Rgb, size: number): Float32Array {
  const rgb = referenceResize(img.data, img.width, img.height, 3, size, size, new Uint8Array(size * size * 3));
  return fillInputTensor(rgb, size, size, ISNET_SPEC, new Float32Array(3 * size * size), false, normalisationTables(ISNET_SPEC));
}
