// An instance model's outputs → the instances (best first, ids from 1), the image's
// instance-id map (0 background; the higher score wins where two overlap), each label's share
// of the image, and on request each instance's mask as COCO RLE. Pure: typed arrays in, no
// ONNX Runtime, no sharp.
import { ClassInfo, Rgb, SegmentInstance } from '../../../api/protocol';
import { boxRleCounts, countsToString } from '../../../api/exports/cocoRle';
import { InstanceSpec } from '../../../models/modeDef';
import { Detection, DetectionScratch, nonMaxSuppression, rowCandidates, yoloCandidates } from './detections';
import { Letterbox, boxToImage } from './letterbox';
import { ScoreGrid, boxSamples, rasterise } from './masks';

/** An output as the engine got it. */
export interface OutputTensor {
  data: Float32Array | BigInt64Array | Int32Array;
  dims: readonly number[];
}

export interface InstanceResult {
  /** width x height of the image. */
  map: Uint8Array;
  instances: SegmentInstance[];
  classes: ClassInfo[];
}

interface Source {
  detections: Detection[];
  /** The score grid of a detection's mask over the cells [u0, u1] x [v0, v1] at least, its size, and the threshold. */
  grid(d: Detection, cells: [number, number, number, number]): ScoreGrid;
  gridWidth: number;
  gridHeight: number;
  threshold: number;
}

const f32 = (t: OutputTensor, name: string): Float32Array => {
  if (!(t.data instanceof Float32Array)) throw new Error(`output '${name}' is not float32`);
  return t.data;
};

/** yolo-seg: output0 [1, 4+nc+nm, A], output1 [1, nm, mh, mw]; a mask's logits are computed over its box only. */
function yoloSource(spec: InstanceSpec, nc: number, [det, protos]: OutputTensor[], scratch: DetectionScratch): Source {
  const [, C, A] = det.dims;
  const [, nm, mh, mw] = protos.dims;
  if (C !== 4 + nc + nm) throw new Error(`output '${spec.outputs[0]}' has ${C} rows, expected 4 + ${nc} classes + ${nm} mask coefficients = ${4 + nc + nm}`);
  const data = f32(det, spec.outputs[0]);
  const p = f32(protos, spec.outputs[1]);
  const candidates = yoloCandidates(data, A, nc, spec.scoreThreshold, scratch);
  const detections = nonMaxSuppression(candidates, spec.iouThreshold, spec.maxInstances);
  const plane = mh * mw;
  return {
    detections,
    gridWidth: mw,
    gridHeight: mh,
    threshold: 0, // logit >= 0 ⟺ sigmoid >= 0.5
    grid: (d, [u0, u1, v0, v1]) => {
      // Only the cells under the box: the whole plane would cost nm x mh x mw per instance.
      const stride = u1 - u0 + 1;
      const out = new Float64Array(stride * (v1 - v0 + 1));
      const coef = new Float64Array(nm);
      for (let k = 0; k < nm; k++) coef[k] = data[(4 + nc + k) * A + d.index];
      maskLogits(p, plane, mw, coef, [u0, u1, v0, v1], out);
      return { data: out, base: -(v0 * stride + u0), stride };
    },
  };
}

/**
 * out[(v - v0) * stride + (u - u0)] = sum over k, in order, of coef[k] * protos[k][v][u], over
 * the cells [u0, u1] x [v0, v1]. Eight prototypes per pass keep the running sum in a register
 * (the same additions in the same order as one prototype at a time, so the same doubles).
 */
function maskLogits(protos: Float32Array, plane: number, mw: number, coef: Float64Array, [u0, u1, v0, v1]: readonly number[], out: Float64Array): void {
  const nm = coef.length;
  const stride = u1 - u0 + 1;
  let k = 0;
  for (; k + 8 <= nm; k += 8) {
    const c0 = coef[k], c1 = coef[k + 1], c2 = coef[k + 2], c3 = coef[k + 3];
    const c4 = coef[k + 4], c5 = coef[k + 5], c6 = coef[k + 6], c7 = coef[k + 7];
    for (let v = v0; v <= v1; v++) {
      const s0 = k * plane + v * mw;
      const dst = (v - v0) * stride - u0;
      for (let u = u0; u <= u1; u++) {
        const s = s0 + u;
        let acc = out[dst + u];
        acc += c0 * protos[s];
        acc += c1 * protos[s + plane];
        acc += c2 * protos[s + 2 * plane];
        acc += c3 * protos[s + 3 * plane];
        acc += c4 * protos[s + 4 * plane];
        acc += c5 * protos[s + 5 * plane];
        acc += c6 * protos[s + 6 * plane];
        acc += c7 * protos[s + 7 * plane];
        out[dst + u] = acc;
      }
    }
  }
  for (; k < nm; k++) {
    const c = coef[k];
    for (let v = v0; v <= v1; v++) {
      const src = k * plane + v * mw;
      const dst = (v - v0) * stride - u0;
      for (let u = u0; u <= u1; u++) out[dst + u] += c * protos[src + u];
    }
  }
}

/** boxes-masks: boxes [N,4], labels [N], scores [N], masks [N,1,H,W] probabilities at input size. */
function rowsSource(spec: InstanceSpec, [boxes, labels, scores, masks]: OutputTensor[]): Source {
  const dims = masks.dims;
  const [mh, mw] = [dims[dims.length - 2], dims[dims.length - 1]];
  const m = f32(masks, spec.outputs[3]);
  const candidates = rowCandidates(f32(boxes, spec.outputs[0]), labels.data as ArrayLike<number | bigint>, f32(scores, spec.outputs[2]), spec.scoreThreshold);
  return {
    detections: nonMaxSuppression(candidates, spec.iouThreshold, spec.maxInstances),
    gridWidth: mw,
    gridHeight: mh,
    threshold: 0.5,
    grid: (d) => ({ data: m, base: d.index * mh * mw, stride: mw }),
  };
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

/** Pixels of each class in the id map. */
function classPixels(map: Uint8Array, instances: SegmentInstance[], classes: number): Float64Array {
  const byId = new Float64Array(256);
  // Four pixels at a time, and runs of equal words (uniform regions, most of an image) counted
  // in a local before one add: the scan costs a compare per four pixels.
  const words = map.byteOffset % 4 === 0 ? new Uint32Array(map.buffer, map.byteOffset, map.length >> 2) : new Uint32Array(0);
  let runWord = 0;
  let run = 0;
  for (let w = 0; w < words.length; w++) {
    const x = words[w];
    if (x === runWord) {
      run++;
      continue;
    }
    byId[runWord & 0xff] += 4 * run;
    if (x === (x & 0xff) * 0x01010101) {
      runWord = x;
      run = 1;
      continue;
    }
    runWord = -1; // no word equals it: the next word starts a new run
    run = 0;
    const p = w << 2;
    byId[map[p]]++;
    byId[map[p + 1]]++;
    byId[map[p + 2]]++;
    byId[map[p + 3]]++;
  }
  if (run > 0) byId[runWord & 0xff] += 4 * run;
  for (let p = words.length << 2; p < map.length; p++) byId[map[p]]++;
  const out = new Float64Array(classes);
  for (const inst of instances) if (inst.class >= 0 && inst.class < classes) out[inst.class] += byId[inst.id];
  return out;
}

export interface DecodeOptions {
  labels: readonly string[];
  colors: readonly Rgb[];
  /** Also encode each instance's mask as COCO compressed RLE. */
  rle?: boolean;
  scratch: DetectionScratch;
  /** The instance-id map to fill (width x height, zeroed here). */
  map?: Uint8Array;
}

/** Decodes one image's outputs (in InstanceSpec.outputs order). */
export function decodeInstances(spec: InstanceSpec, outputs: OutputTensor[], lb: Letterbox, o: DecodeOptions): InstanceResult {
  const src = spec.format === 'yolo-seg' ? yoloSource(spec, o.labels.length, outputs, o.scratch) : rowsSource(spec, outputs);
  const { width, height } = lb;
  const map = o.map ?? new Uint8Array(width * height);
  map.fill(0);
  // Worst first, so that where instances overlap the better one, painted later, wins.
  const instances: SegmentInstance[] = new Array(src.detections.length);
  for (let i = src.detections.length - 1; i >= 0; i--) {
    const d = src.detections[i];
    const box = boxToImage(lb, d.x1, d.y1, d.x2, d.y2);
    const { ax, ay } = boxSamples(lb, box, src.gridWidth, src.gridHeight);
    const id = i + 1;
    const bits = o.rle ? new Uint8Array(ax.count * ay.count) : undefined;
    const area = ax.count > 0 && ay.count > 0 ? rasterise(src.grid(d, [ax.first, ax.last, ay.first, ay.last]), ax, ay, src.threshold, bits, map, width, id) : 0;
    const inst: SegmentInstance = {
      id,
      class: d.cls,
      label: o.labels[d.cls] ?? `class ${d.cls}`,
      score: d.score,
      box: { left: round3(box[0]), top: round3(box[1]), width: round3(box[2] - box[0]), height: round3(box[3] - box[1]) },
      area,
    };
    if (bits) inst.rle = { size: [height, width], counts: countsToString(boxRleCounts(bits, ax.count, ay.count, ax.lo, ay.lo, width, height)) };
    instances[i] = inst;
  }
  const perClass = classPixels(map, instances, o.labels.length);
  const n = width * height;
  const classes = o.labels.map((label, id): ClassInfo => {
    const c = o.colors[id] ?? [255, 255, 255];
    return { id, label, color: [c[0], c[1], c[2]], fraction: n > 0 ? perClass[id] / n : 0 };
  });
  return { map, instances, classes };
}
