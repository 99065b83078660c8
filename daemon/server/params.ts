// Checks of request params: anything malformed is answered with -32602 and a message that
// says which field is wrong, before any work starts.
import { SegLensError, invalidParams } from '../api/errors';
import {
  CACHED_RESULTS_MAX_IMAGES,
  CachedResultsParams,
  DISPLAY_CROP_MAX_SIDE,
  DISPLAY_MAX_SIDE,
  DISPLAY_MAX_SIDE_LIMIT,
  DISPLAY_MIN_SIDE,
  DisplayCropParams,
  DisplayImageRequest,
  DisplayRegion,
  EnsureReadyParams,
  ErrorCodes,
  ImageSource,
  ScoreParams,
  SegmentParams,
  SegmentPriority,
  SEGMENT_REGION_MIN_SIDE,
  THUMBNAIL_MAX_SIZE,
  THUMBNAIL_MIN_SIZE,
  UnloadParams,
  WarmupParams,
} from '../api/protocol';

export type Obj = Record<string, unknown>;

export function obj(p: unknown, method: string): Obj {
  if (p === null || p === undefined) return {};
  if (typeof p !== 'object' || Array.isArray(p)) throw invalidParams(`${method}: params must be an object`);
  return p as Obj;
}
export function str(o: Obj, field: string, method: string): string {
  const v = o[field];
  if (typeof v !== 'string' || v.length === 0) throw invalidParams(`${method}: '${field}' must be a non-empty string`);
  return v;
}
function optBool(o: Obj, field: string, method: string): boolean | undefined {
  const v = o[field];
  if (v !== undefined && typeof v !== 'boolean') throw invalidParams(`${method}: '${field}' must be a boolean`);
  return v as boolean | undefined;
}

export function ensureReadyParams(p: unknown): EnsureReadyParams {
  const o = obj(p, 'seglens/ensureReady');
  return { mode: str(o, 'mode', 'seglens/ensureReady'), warmup: optBool(o, 'warmup', 'seglens/ensureReady') };
}

export function warmupParams(p: unknown): WarmupParams {
  const m = 'seglens/warmup';
  const o = obj(p, m);
  const it = o.iterations;
  if (it !== undefined && (typeof it !== 'number' || !Number.isInteger(it) || it < 1 || it > 100)) {
    throw invalidParams(`${m}: 'iterations' must be a whole number from 1 to 100`);
  }
  return { mode: str(o, 'mode', m), force: optBool(o, 'force', m), iterations: it as number | undefined };
}

export function segmentParams(p: unknown): SegmentParams {
  const m = 'seglens/segment';
  const o = obj(p, m);
  const mode = str(o, 'mode', m);
  const out: SegmentParams = { mode, image: imageSource(o, 'image', m), ...answerShape(o, m) };
  if (o.priority !== undefined && o.priority !== 'interactive' && o.priority !== 'batch') throw invalidParams(`${m}: 'priority' must be 'interactive' or 'batch'`);
  if (o.priority !== undefined) out.priority = o.priority as SegmentPriority;
  const cache = optBool(o, 'cache', m);
  if (cache !== undefined) out.cache = cache;
  if (o.region !== undefined) out.region = segmentRegion(o.region, out, m);
  return out;
}

/** A segment's region (issue 22): a tile is a whole image with its mask, so no thumbnail with it. */
function segmentRegion(r: unknown, p: SegmentParams, m: string): DisplayRegion {
  const region = regionParam(r, m, SEGMENT_REGION_MIN_SIDE);
  if (p.thumbnail) throw invalidParams(`${m}: 'thumbnail' and 'region' cannot go together (a thumbnail is the whole image's tile); ask for the thumbnail without a region`);
  return region;
}

/** The options that shape a segment answer (and so its result-cache key). */
function answerShape(o: Obj, m: string): Pick<SegmentParams, 'confidence' | 'displayImage' | 'thumbnail' | 'instanceRle' | 'scoreThreshold'> {
  const out: Pick<SegmentParams, 'confidence' | 'displayImage' | 'thumbnail' | 'instanceRle' | 'scoreThreshold'> = {};
  if (o.scoreThreshold !== undefined) {
    if (typeof o.scoreThreshold !== 'number' || !(o.scoreThreshold >= 0 && o.scoreThreshold <= 1)) throw invalidParams(`${m}: 'scoreThreshold' must be a number from 0 to 1`);
    out.scoreThreshold = o.scoreThreshold;
  }
  const confidence = optBool(o, 'confidence', m);
  if (confidence !== undefined) out.confidence = confidence;
  const instanceRle = optBool(o, 'instanceRle', m);
  if (instanceRle !== undefined) out.instanceRle = instanceRle;
  const display = displayImageParam(o.displayImage, m);
  if (display !== undefined) out.displayImage = display;
  const thumb = o.thumbnail;
  if (thumb !== undefined) {
    const size = (thumb as Obj | null)?.size;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < THUMBNAIL_MIN_SIZE || size > THUMBNAIL_MAX_SIZE) {
      throw invalidParams(`${m}: 'thumbnail' must be {size: n}, n a whole number from ${THUMBNAIL_MIN_SIZE} to ${THUMBNAIL_MAX_SIZE}`);
    }
    out.thumbnail = { size };
  }
  return out;
}

export function cachedResultsParams(p: unknown): CachedResultsParams {
  const m = 'seglens/cachedResults';
  const o = obj(p, m);
  const mode = str(o, 'mode', m);
  const images = o.images;
  if (!Array.isArray(images) || images.length === 0 || images.length > CACHED_RESULTS_MAX_IMAGES) {
    throw invalidParams(`${m}: 'images' must be an array of 1 to ${CACHED_RESULTS_MAX_IMAGES} {path} objects`);
  }
  const list = images.map((img, i) => {
    if (typeof img !== 'object' || img === null || Array.isArray(img)) throw invalidParams(`${m}: images[${i}] must be {path: string}`);
    return { path: str(img as Obj, 'path', `${m} images[${i}]`) };
  });
  return { mode, images: list, ...answerShape(o, m) };
}

/** `{path}` or `{base64}` in field `field`. */
export function imageSource(o: Obj, field: string, m: string): ImageSource {
  const img = o[field];
  if (img === undefined || img === null) throw invalidParams(`${m}: '${field}' is missing: give {path} or {base64}`);
  if (typeof img !== 'object' || Array.isArray(img)) throw invalidParams(`${m}: '${field}' must be {path: string} or {base64: string}`);
  const i = img as Obj;
  if (i.path !== undefined) return { path: str(i, 'path', `${m} ${field}`) };
  if (i.base64 !== undefined) return { base64: str(i, 'base64', `${m} ${field}`) };
  throw invalidParams(`${m}: '${field}' must have 'path' or 'base64'`);
}

export function scoreParams(p: unknown): ScoreParams {
  const m = 'seglens/score';
  const o = obj(p, m);
  const out: ScoreParams = { mode: str(o, 'mode', m), prediction: imageSource(o, 'prediction', m), groundTruth: imageSource(o, 'groundTruth', m) };
  const agreement = optBool(o, 'agreement', m);
  if (agreement !== undefined) out.agreement = agreement;
  return out;
}

function displayImageParam(v: unknown, m: string): boolean | DisplayImageRequest | undefined {
  if (v === undefined || typeof v === 'boolean') return v;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalidParams(`${m}: 'displayImage' must be a boolean or {maxSide?: number}`);
  const side = (v as Obj).maxSide;
  if (side === undefined) return {};
  if (typeof side !== 'number' || !Number.isInteger(side) || side < DISPLAY_MIN_SIDE || side > DISPLAY_MAX_SIDE_LIMIT) {
    throw invalidParams(`${m}: 'displayImage.maxSide' must be a whole number from ${DISPLAY_MIN_SIDE} to ${DISPLAY_MAX_SIDE_LIMIT}`);
  }
  return { maxSide: side };
}

/** seglens/displayCrop: an image and a region of whole pixels (inside the image: checked once decoded). */
export function displayCropParams(p: unknown): DisplayCropParams {
  const m = 'seglens/displayCrop';
  const o = obj(p, m);
  return { image: imageSource(o, 'image', m), region: regionParam(o.region, m, 1, DISPLAY_CROP_MAX_SIDE) };
}

/**
 * `{left, top, width, height}` in whole pixels, left/top >= 0, each side minSide..maxSide (by
 * default only the image bounds it); the message names the field and the bound it misses.
 * (Inside the image is checked once its header is read: engine/pipeline/region.ts.)
 */
function regionParam(r: unknown, m: string, minSide: number, maxSide = 2 ** 31): DisplayRegion {
  const sides = maxSide < 2 ** 31 ? `${minSide}..${maxSide}` : `>= ${minSide}`;
  const must = `${m}: 'region' must be {left, top, width, height} in whole pixels, left/top >= 0, width/height ${sides}`;
  if (r === null || typeof r !== 'object' || Array.isArray(r)) throw invalidParams(must);
  const o = r as Obj;
  const field = (name: keyof DisplayRegion, min: number, max: number): number => {
    const v = o[name];
    if (v === undefined) throw invalidParams(`${must}: '${name}' is missing`);
    if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidParams(`${must}: '${name}' is ${JSON.stringify(v)}, not a whole number`);
    if (v < min) throw invalidParams(`${must}: '${name}' is ${v}, under ${min}`);
    if (v > max) throw invalidParams(`${must}: '${name}' is ${v}, over ${max}`);
    return v;
  };
  return { left: field('left', 0, 2 ** 31), top: field('top', 0, 2 ** 31), width: field('width', minSide, maxSide), height: field('height', minSide, maxSide) };
}

export function selectModeParams(p: unknown): { mode: string } {
  return { mode: str(obj(p, 'seglens/selectMode'), 'mode', 'seglens/selectMode') };
}

export function unloadParams(p: unknown): UnloadParams {
  const o = obj(p, 'seglens/unload');
  return o.mode === undefined ? {} : { mode: str(o, 'mode', 'seglens/unload') };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes base64 strictly (Buffer.from silently skips junk) and bounds its size. */
export function decodeBase64(data: string, maxBytes: number, what = "seglens/segment: 'image.base64'"): Uint8Array {
  const clean = data.replace(/\s+/g, '');
  if (clean.length % 4 !== 0 || !BASE64.test(clean)) throw invalidParams(`${what} is not valid base64`);
  if ((clean.length / 4) * 3 > maxBytes) {
    throw new SegLensError(ErrorCodes.ImageTooLarge, `image data is larger than ${Math.round(maxBytes / 1048576)} MiB; pass a path instead`);
  }
  return Buffer.from(clean, 'base64');
}

/** The display image's bound for a segment request, or undefined when none was asked for. */
export function displayMaxSide(d: SegmentParams['displayImage']): number | undefined {
  if (d === undefined || d === false) return undefined;
  return d === true ? DISPLAY_MAX_SIDE : (d.maxSide ?? DISPLAY_MAX_SIDE);
}
