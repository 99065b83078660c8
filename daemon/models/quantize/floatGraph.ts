// The rewritten ISNet computes in fp16 (weights stored as fp16, Cast nodes at the graph's edges
// and around each Resize). Quantisation starts from the same graph in float32: fp16
// initializers widened exactly, every Cast removed, and (optionally) only the outputs kept
// that SegLens fetches, so that nothing else is computed.
import { onnx } from 'onnx-proto';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;

/** IEEE half → float (exact). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The values of a float or float16 initializer as float32. */
export function floatValues(t: onnx.ITensorProto): Float32Array {
  if (t.dataType === FLOAT) {
    if (t.rawData && t.rawData.length > 0) return new Float32Array(Uint8Array.from(t.rawData).buffer);
    return Float32Array.from(t.floatData ?? []);
  }
  if (t.dataType !== FLOAT16) throw new Error(`quantize: '${t.name}' is neither float nor float16 (data type ${t.dataType})`);
  // float16 values live in raw_data, or one per int32 of int32_data.
  const halves = t.rawData && t.rawData.length > 0 ? new Uint16Array(Uint8Array.from(t.rawData).buffer) : Uint16Array.from(t.int32Data ?? []);
  return Float32Array.from(halves, halfToFloat);
}

type Long = { toNumber(): number };
/** An initializer's dims as numbers (protobufjs gives int64 as Long objects). */
export function dimsOf(t: onnx.ITensorProto): number[] {
  return (t.dims ?? []).map((d) => (typeof d === 'number' ? d : (d as Long).toNumber()));
}

/** A float32 initializer (raw little-endian bytes). */
export function floatTensor(name: string, dims: number[], values: Float32Array): onnx.TensorProto {
  return onnx.TensorProto.create({ name, dataType: FLOAT, dims, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) });
}

/** Replace every use of tensor `from` by `to` (node inputs and outputs). */
function renameTensor(graph: onnx.GraphProto, from: string, to: string): void {
  for (const n of graph.node as onnx.NodeProto[]) {
    n.input = n.input.map((i) => (i === from ? to : i));
    n.output = n.output.map((o) => (o === from ? to : o));
  }
}

/** Removes the Cast nodes: each one's consumers read its input (a graph output keeps its name). */
function removeCasts(graph: onnx.GraphProto): number {
  const outputs = new Set(graph.output.map((o) => o.name as string));
  let removed = 0;
  // One at a time: each rename also updates the Casts still to come.
  const nextCast = () => (graph.node as onnx.NodeProto[]).find((n) => n.opType === 'Cast');
  for (let c = nextCast(); c; c = nextCast()) {
    graph.node = graph.node.filter((n) => n !== c);
    const [src, dst] = [c.input[0], c.output[0]];
    if (outputs.has(dst)) renameTensor(graph, src, dst);
    else renameTensor(graph, dst, src);
    removed++;
  }
  return removed;
}

/** Keeps only the nodes and initializers that the named outputs need. */
export function pruneToOutputs(graph: onnx.GraphProto, keep: string[]): void {
  graph.output = graph.output.filter((o) => keep.includes(o.name as string));
  const producer = new Map<string, onnx.NodeProto>();
  for (const n of graph.node as onnx.NodeProto[]) for (const o of n.output) producer.set(o, n);
  const needed = new Set<string>();
  const stack = [...keep];
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (needed.has(name)) continue;
    needed.add(name);
    for (const i of producer.get(name)?.input ?? []) if (i) stack.push(i);
  }
  graph.node = (graph.node as onnx.NodeProto[]).filter((n) => n.output.some((o) => needed.has(o)));
  graph.initializer = graph.initializer.filter((t) => needed.has(t.name as string));
}

/**
 * The float32 form of a rewritten (dynamic height and width) ISNet: decoded, Casts removed,
 * fp16 initializers widened, graph input and outputs typed float. `keepOutputs`: the outputs
 * to keep (all when absent).
 */
export function isnetFloat32(dynamicBytes: Uint8Array, keepOutputs?: string[]): onnx.ModelProto {
  const model = onnx.ModelProto.decode(dynamicBytes);
  const graph = model.graph as onnx.GraphProto;
  if (removeCasts(graph) === 0) throw new Error('quantize: no Cast nodes found; is this the fp16 ISNet?');
  graph.initializer = graph.initializer.map((t) => (t.dataType === FLOAT16 ? floatTensor(t.name as string, dimsOf(t), floatValues(t)) : t));
  for (const v of [...graph.input, ...graph.output]) {
    if (v.type?.tensorType) v.type.tensorType.elemType = FLOAT;
  }
  if (keepOutputs) pruneToOutputs(graph, keepOutputs);
  return model;
}
