// Instance models built by the tests (issue 24), in both output formats, whose outputs are
// constants the test chose (so known exactly), and random outputs to feed them.
import { onnx } from 'onnx-proto';
import { tensor, valueInfo } from './buildModels';

const INT64 = onnx.TensorProto.DataType.INT64;

function constant(name: string, t: onnx.ITensorProto): onnx.INodeProto {
  return { opType: 'Constant', input: [], output: [name], name: `const_${name}`, attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t }] };
}

/** `name` = the constant + 0 x mean(image): an output that depends on the input in form only. */
function fromInput(input: string, name: string, dims: number[], values: ArrayLike<number>): onnx.INodeProto[] {
  return [
    constant(`${name}_value`, tensor(`${name}_value`, dims, Array.from(values))),
    constant(`${name}_zero`, tensor(`${name}_zero`, [], [0])),
    { opType: 'ReduceMean', input: [input], output: [`${name}_mean`], name: `mean_${name}`, attribute: [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] },
    { opType: 'Mul', input: [`${name}_mean`, `${name}_zero`], output: [`${name}_nothing`], name: `mul_${name}` },
    { opType: 'Add', input: [`${name}_value`, `${name}_nothing`], output: [name], name: `add_${name}` },
  ];
}

function model(graph: onnx.IGraphProto, metadata: Record<string, string> = {}): Uint8Array {
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'seglens-tests',
      opsetImport: [{ domain: '', version: 17 }],
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
      graph,
    }),
  ).finish();
}

export interface YoloOutputs {
  nc: number;
  nm: number;
  anchors: number;
  mh: number;
  mw: number;
  /** [4+nc+nm, anchors] row by row. */
  output0: Float32Array;
  /** [nm, mh, mw]. */
  output1: Float32Array;
}

/** An Ultralytics-style segment export: input 'images' [1,3,S,S], outputs output0 and output1 as given. */
export function yoloSegModel(size: number, o: YoloOutputs, metadata?: Record<string, string>, opts: { protoShape?: number[] } = {}): Uint8Array {
  const C = 4 + o.nc + o.nm;
  return model(
    {
      name: 'yolo_seg',
      node: [...fromInput('images', 'output0', [1, C, o.anchors], o.output0), ...fromInput('images', 'output1', opts.protoShape ?? [1, o.nm, o.mh, o.mw], o.output1)],
      input: [valueInfo('images', [1, 3, size, size])],
      output: [valueInfo('output0', [1, C, o.anchors]), valueInfo('output1', opts.protoShape ?? [1, o.nm, o.mh, o.mw])],
    },
    metadata,
  );
}

export interface RowOutputs {
  /** [N,4] x1,y1,x2,y2. */
  boxes: Float32Array;
  labels: number[];
  scores: Float32Array;
  /** [N,1,S,S]. */
  masks: Float32Array;
}

/** A torchvision-style detection export: input 'images' [3,S,S] (no batch axis), outputs boxes, labels (int64), scores, masks. */
export function boxesMasksModel(size: number, o: RowOutputs): Uint8Array {
  const N = o.scores.length;
  const labels: onnx.ITensorProto = { name: 'labels_value', dataType: INT64, dims: [N], int64Data: o.labels };
  return model({
    name: 'boxes_masks',
    node: [
      ...fromInput('images', 'boxes', [N, 4], o.boxes),
      constant('labels', { ...labels, name: 'labels' }),
      ...fromInput('images', 'scores', [N], o.scores),
      ...fromInput('images', 'masks', [N, 1, size, size], o.masks),
    ],
    input: [valueInfo('images', [3, size, size])],
    output: [valueInfo('boxes', [N, 4]), valueInfo('labels', [N], INT64), valueInfo('scores', [N]), valueInfo('masks', [N, 1, size, size])],
  });
}

/** A small deterministic generator (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Random yolo-seg outputs for an S x S input: boxes inside the input, most anchors under the
 * score threshold, clusters of overlapping boxes of one class (so NMS has work), equal scores
 * here and there.
 */
export function randomYoloOutputs(rnd: () => number, S: number, o: { nc: number; nm: number; anchors: number; proto: number }): YoloOutputs {
  const { nc, nm, anchors: A, proto } = o;
  const C = 4 + nc + nm;
  const out = new Float32Array(C * A);
  for (let a = 0; a < A; a++) {
    const cluster = a % 7 === 0 || a < 3;
    const w = 2 + rnd() * S * 0.6;
    const h = 2 + rnd() * S * 0.6;
    const cx = cluster ? S / 2 + (rnd() - 0.5) * 4 : w / 2 + rnd() * (S - w);
    const cy = cluster ? S / 2 + (rnd() - 0.5) * 4 : h / 2 + rnd() * (S - h);
    out[a] = cx;
    out[A + a] = cy;
    out[2 * A + a] = w;
    out[3 * A + a] = h;
    for (let c = 0; c < nc; c++) out[(4 + c) * A + a] = rnd() * (rnd() < 0.3 ? 1 : 0.3);
    if (a % 11 === 5) out[4 * A + a] = 0.75; // equal scores across anchors
    for (let k = 0; k < nm; k++) out[(4 + nc + k) * A + a] = (rnd() - 0.5) * 4;
  }
  const output1 = new Float32Array(nm * proto * proto).map(() => (rnd() - 0.5) * 2);
  return { nc, nm, anchors: A, mh: proto, mw: proto, output0: out, output1 };
}
