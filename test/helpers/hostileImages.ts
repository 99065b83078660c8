// Odd but valid images, made with sharp by the tests themselves, and a reader for the masks
// the daemon answers with.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import type { SegmentResult } from '../../daemon/api/protocol';
import { samplesDir } from './repo';

const solid = (width: number, height: number, channels: 3 | 4 = 3, background = { r: 200, g: 60, b: 30, alpha: 0.5 }) =>
  sharp({ create: { width, height, channels, background } });

/** The bundled text sample (448x172 grey, black text on white): the `text` mode finds something in it. */
export const textSample = () => fs.readFileSync(path.join(samplesDir, 'text.png'));

export const onePixelPng = () => solid(1, 1).png().toBuffer();
export const greyPng = () => sharp(textSample()).toColourspace('b-w').png().toBuffer();
export const png16 = () => sharp(textSample()).toColourspace('rgb16').png().toBuffer();
export const cmykJpeg = () => sharp(textSample()).toColourspace('cmyk').jpeg().toBuffer();
export const rgbaPng = () => solid(33, 21, 4).png().toBuffer();
export const webp = () => sharp(textSample()).webp().toBuffer();

/** An animated GIF whose frames are `first` then `second` (both the text sample's size). */
export async function animatedGif(firstIsText: boolean): Promise<Buffer> {
  const text = await sharp(textSample()).toColourspace('srgb').png().toBuffer();
  const { width, height } = await sharp(text).metadata();
  const blank = await solid(width!, height!, 3, { r: 255, g: 255, b: 255, alpha: 1 }).png().toBuffer();
  const frames = firstIsText ? [text, blank] : [blank, text];
  return sharp(frames, { join: { animated: true } }).gif({ delay: [100, 100], loop: 0 }).toBuffer();
}

/**
 * The text sample stored rotated a quarter turn, with EXIF orientation 6 saying "rotate 90°
 * clockwise to display": displayed, it is the upright sample again (448x172, stored 172x448).
 */
export async function exifRotatedJpeg(): Promise<{ rotated: Buffer; upright: Buffer }> {
  const upright = await sharp(textSample()).toColourspace('srgb').jpeg({ quality: 95 }).toBuffer();
  const rotated = await sharp(textSample()).toColourspace('srgb').rotate(270).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
  return { rotated, upright };
}

/** The mask of a result, decoded: one 8-bit channel. */
export async function decodeMask(r: SegmentResult): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const png = Buffer.from(r.maskPng, 'base64');
  const meta = await sharp(png).metadata();
  // sharp's raw output of a grey PNG is 3 channels unless asked for one: the file's own count is in the metadata.
  const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  assert.equal(meta.depth, 'uchar', 'the mask PNG is 8-bit');
  return { data, width: info.width, height: info.height, channels: meta.channels ?? 0 };
}

/** A correct result: the mask is the oriented image's size, one grey channel, fractions sum to 1. */
export async function assertWellFormed(r: SegmentResult, width: number, height: number, what: string): Promise<Buffer> {
  assert.equal(r.width, width, `${what}: width`);
  assert.equal(r.height, height, `${what}: height`);
  const m = await decodeMask(r);
  assert.deepEqual([m.width, m.height, m.channels], [width, height, 1], `${what}: the mask is ${width}x${height}, 8-bit grey`);
  const sum = r.classes.reduce((s, c) => s + c.fraction, 0);
  assert.ok(Math.abs(sum - 1) < 1e-6, `${what}: class fractions sum to 1 (got ${sum})`);
  for (const c of r.classes) assert.ok(c.fraction >= 0 && c.fraction <= 1, `${what}: fraction of ${c.label} in [0, 1]`);
  return m.data;
}

/** Fraction of the `text` class in a text-mode result. */
export const textFraction = (r: SegmentResult) => r.classes.find((c) => c.label === 'text')?.fraction ?? 0;
