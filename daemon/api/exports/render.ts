// The per-image exports besides the raw mask: `color` (the legend's palette), `cutout` (the
// image as RGBA with the mask as alpha) and `binary` (0/255 at a threshold).
import sharp from 'sharp';
import { Rgb, SegmentResult } from '../protocol';

export { maskKind } from '../protocol';

export const EXPORT_FORMATS = ['mask', 'color', 'cutout', 'binary', 'coco', 'coco-results'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const png = (data: Uint8Array, width: number, height: number, channels: 1 | 3 | 4) =>
  sharp(data, { raw: { width, height, channels } })
    .toColourspace(channels === 1 ? 'b-w' : 'srgb')
    .png({ compressionLevel: 6 })
    .toBuffer();

/** The mask's pixels (binary: alpha 0..255; semantic: class index). */
export async function maskPixels(r: Pick<SegmentResult, 'maskPng' | 'width' | 'height'>): Promise<Uint8Array> {
  const { data, info } = await sharp(Buffer.from(r.maskPng, 'base64')).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  if (info.width !== r.width || info.height !== r.height) throw new Error(`mask is ${info.width}x${info.height}, expected ${r.width}x${r.height}`);
  return data;
}

/** Foreground flags (1/0): binary alpha >= `alphaThreshold`; semantic class != 0. */
export function foreground(mask: Uint8Array, task: 'binary' | 'semantic', alphaThreshold = 128): Uint8Array {
  return task === 'binary' ? mask.map((v) => (v >= alphaThreshold ? 1 : 0)) : mask.map((v) => (v !== 0 ? 1 : 0));
}

/** 0.5 → 128: a pixel is foreground when alpha/255 >= threshold. */
export const alphaThreshold = (threshold: number) => Math.max(0, Math.min(255, Math.ceil(threshold * 255 - 1e-9)));

/** Semantic: each class in its legend colour; binary: the foreground colour scaled by alpha over black. */
export function colorPng(mask: Uint8Array, width: number, height: number, task: 'binary' | 'semantic', colors: ReadonlyMap<number, Rgb>): Promise<Buffer> {
  const out = new Uint8Array(width * height * 3);
  const fg = colors.get(1) ?? [255, 255, 255];
  for (let i = 0, j = 0; i < mask.length; i++, j += 3) {
    const m = mask[i];
    if (task === 'binary') {
      out[j] = Math.round((fg[0] * m) / 255);
      out[j + 1] = Math.round((fg[1] * m) / 255);
      out[j + 2] = Math.round((fg[2] * m) / 255);
    } else {
      const c = colors.get(m) ?? [0, 0, 0];
      out[j] = c[0];
      out[j + 1] = c[1];
      out[j + 2] = c[2];
    }
  }
  return png(out, width, height, 3);
}

/** A grey PNG of one byte per pixel as it is (a mask: alpha, or class indices as the ground-truth reader reads them). */
export function greyPng(data: Uint8Array, width: number, height: number): Promise<Buffer> {
  return png(data, width, height, 1);
}

/** 0/255 grey PNG of the foreground. */
export function binaryPng(fg: Uint8Array, width: number, height: number): Promise<Buffer> {
  return png(
    fg.map((v) => (v ? 255 : 0)),
    width,
    height,
    1,
  );
}

/** The image (EXIF-oriented, as the mask is) as RGBA with `alpha` as its alpha channel. */
export async function cutoutPng(image: string | Uint8Array, alpha: Uint8Array, width: number, height: number): Promise<Buffer> {
  const { data, info } = await sharp(image).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height) throw new Error(`image decoded to ${info.width}x${info.height}, the mask is ${width}x${height}`);
  const out = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    out[i * 4] = data[i * 3];
    out[i * 4 + 1] = data[i * 3 + 1];
    out[i * 4 + 2] = data[i * 3 + 2];
    out[i * 4 + 3] = alpha[i];
  }
  return png(out, width, height, 4);
}

/**
 * The PNG files of one result, by format (all but `coco` and `coco-results`, one file per run): what the
 * CLI and the gallery write as `<out>/<name>.<format>.png`. `pixels` is the decoded mask, for
 * the run's COCO file. `image` is the original (for `cutout`).
 */
export async function renderExports(
  formats: readonly ExportFormat[],
  r: Pick<SegmentResult, 'maskPng' | 'width' | 'height' | 'classes' | 'instances'>,
  task: 'binary' | 'semantic',
  image: string | Uint8Array,
  threshold: number,
): Promise<{ files: [ExportFormat, Uint8Array][]; pixels?: Uint8Array }> {
  const pixels = formats.some((f) => f !== 'mask') ? await maskPixels(r) : undefined;
  const colors = new Map<number, Rgb>(r.classes.map((c) => [c.id, c.color]));
  // An instance-id map: each instance in its class's colour.
  if (r.instances) {
    colors.clear();
    for (const i of r.instances) colors.set(i.id, r.classes[i.class]?.color ?? [255, 255, 255]);
  }
  const files: [ExportFormat, Uint8Array][] = [];
  for (const format of formats) {
    if (format === 'coco' || format === 'coco-results') continue;
    let data: Uint8Array;
    if (format === 'mask') data = Buffer.from(r.maskPng, 'base64');
    else if (format === 'color') data = await colorPng(pixels!, r.width, r.height, task, colors);
    else if (format === 'binary') data = await binaryPng(foreground(pixels!, task, alphaThreshold(threshold)), r.width, r.height);
    else {
      const alpha = task === 'binary' ? pixels! : foreground(pixels!, 'semantic').map((v) => v * 255);
      data = await cutoutPng(image, alpha, r.width, r.height);
    }
    files.push([format, data]);
  }
  return { files, pixels };
}
