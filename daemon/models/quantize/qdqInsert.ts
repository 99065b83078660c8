// Puts the QDQ form into a float32 graph, following a plan (qdqPlan.ts) and calibrated ranges:
// a QuantizeLinear → DequantizeLinear pair (uint8, asymmetric) after each quantised tensor,
// Conv weights as symmetric per-channel int8 behind a DequantizeLinear (axis 0), and Conv
// biases as int32 with scale input scale × weight scale (what QLinearConv expects). The
// result is deterministic: the same graph and ranges give the same nodes in the same order.
import { onnx } from 'onnx-proto';
import { dimsOf, floatTensor, floatValues } from './floatGraph';
import { QdqPlan, RangeSource } from './qdqPlan';

const DT = onnx.TensorProto.DataType;
export interface Range {
  min: number;
  max: number;
}
interface QParams {
  scale: number;
  zeroPoint: number;
}

/** uint8 scale and zero point covering [min, max] (widened to hold 0, as zero must be exact). */
export function uint8Params(r: Range): QParams {
  const lo = Math.min(0, r.min);
  const hi = Math.max(0, r.max);
  const scale = Math.fround(hi > lo ? (hi - lo) / 255 : 1);
  return { scale, zeroPoint: Math.max(0, Math.min(255, Math.round(-lo / scale))) };
}

/** Symmetric per-channel int8 weights (axis 0): q = round(w / s), s = max|w| / 127. */
export function int8PerChannel(w: Float32Array, channels: number): { q: Int8Array; scales: Float32Array } {
  const per = w.length / channels;
  const q = new Int8Array(w.length);
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let m = 0;
    for (let i = c * per; i < (c + 1) * per; i++) m = Math.max(m, Math.abs(w[i]));
    const s = Math.fround(m > 0 ? m / 127 : 1);
    scales[c] = s;
    for (let i = c * per; i < (c + 1) * per; i++) q[i] = Math.max(-127, Math.min(127, Math.round(w[i] / s)));
  }
  return { q, scales };
}

const attrAxis0 = () => onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 });
const tensor = (name: string, dataType: number, dims: number[], bytes: ArrayBufferView) =>
  onnx.TensorProto.create({ name, dataType, dims, rawData: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
const node = (opType: string, name: string, input: string[], output: string[], attribute: onnx.AttributeProto[] = []) =>
  onnx.NodeProto.create({ opType, name, input, output, attribute });

class QdqWriter {
  readonly params = new Map<string, QParams>();
  readonly initializers: onnx.TensorProto[] = [];
  private readonly inits: Map<string, onnx.ITensorProto>;

  constructor(
    graph: onnx.GraphProto,
    plan: QdqPlan,
    ranges: Record<string, Range>,
  ) {
    this.inits = new Map(graph.initializer.map((t) => [t.name as string, t]));
    const resolve = (t: string, s: RangeSource): QParams => {
      if (s.kind === 'inherit') return this.params.get(s.from) ?? resolve(s.from, plan.tensors.get(s.from) as RangeSource);
      const r = s.kind === 'fixed' ? s : ranges[t];
      if (!r) throw new Error(`quantize: no calibrated range for '${t}'`);
      return uint8Params(r);
    };
    for (const [t, s] of plan.tensors) this.params.set(t, resolve(t, s));
  }

  /** The Q → DQ pair after tensor t; its consumers are rewired by the caller. */
  activationPair(t: string): onnx.NodeProto[] {
    const p = this.params.get(t) as QParams;
    this.initializers.push(floatTensor(`${t}/scale`, [], Float32Array.of(p.scale)), tensor(`${t}/zero_point`, DT.UINT8, [], Uint8Array.of(p.zeroPoint)));
    const args = [`${t}/scale`, `${t}/zero_point`];
    return [node('QuantizeLinear', `${t}/QuantizeLinear`, [t, ...args], [`${t}/q`]), node('DequantizeLinear', `${t}/DequantizeLinear`, [`${t}/q`, ...args], [`${t}/dq`])];
  }

  /** int8 weights and int32 bias of one Conv behind DequantizeLinear nodes; rewires the Conv. */
  convConstants(conv: onnx.NodeProto): onnx.NodeProto[] {
    const [x, wName, bName] = conv.input;
    const w = this.inits.get(wName);
    if (!w) throw new Error(`quantize: Conv '${conv.name}' has no constant weights`);
    const dims = dimsOf(w);
    const { q, scales } = int8PerChannel(floatValues(w), dims[0]);
    const wq = `${conv.name}/weight`;
    this.initializers.push(tensor(`${wq}/int8`, DT.INT8, dims, q), floatTensor(`${wq}/scale`, [dims[0]], scales), tensor(`${wq}/zero_point`, DT.INT8, [dims[0]], new Int8Array(dims[0])));
    const out = [node('DequantizeLinear', `${wq}/DequantizeLinear`, [`${wq}/int8`, `${wq}/scale`, `${wq}/zero_point`], [`${wq}/dq`], [attrAxis0()])];
    conv.input[1] = `${wq}/dq`;
    const b = bName ? this.inits.get(bName) : undefined;
    if (b) {
      const sx = (this.params.get(x) as QParams).scale;
      const bScales = scales.map((s) => Math.fround(sx * s));
      const bq = Int32Array.from(floatValues(b), (v, c) => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(v / bScales[c]))));
      const bn = `${conv.name}/bias`;
      this.initializers.push(tensor(`${bn}/int32`, DT.INT32, [dims[0]], bq), floatTensor(`${bn}/scale`, [dims[0]], bScales), tensor(`${bn}/zero_point`, DT.INT32, [dims[0]], new Int32Array(dims[0])));
      out.push(node('DequantizeLinear', `${bn}/DequantizeLinear`, [`${bn}/int32`, `${bn}/scale`, `${bn}/zero_point`], [`${bn}/dq`], [attrAxis0()]));
      conv.input[2] = `${bn}/dq`;
    }
    return out;
  }
}

/** Rewrites `graph` in place into QDQ form; returns how many tensors and Convs were quantised. */
export function insertQdq(graph: onnx.GraphProto, plan: QdqPlan, ranges: Record<string, Range>): { tensors: number; convs: number } {
  const writer = new QdqWriter(graph, plan, ranges);
  const quantConvs = new Set(plan.quantConvs);
  const nodes: onnx.NodeProto[] = [];
  for (const t of graph.input) if (plan.tensors.has(t.name as string)) nodes.push(...writer.activationPair(t.name as string));
  for (const n of graph.node as onnx.NodeProto[]) {
    if (quantConvs.has(n)) nodes.push(...writer.convConstants(n));
    // Consumers read the DQ output; the Q reads the original tensor.
    n.input = n.input.map((i) => (plan.tensors.has(i) ? `${i}/dq` : i));
    nodes.push(n);
    for (const o of n.output) if (plan.tensors.has(o)) nodes.push(...writer.activationPair(o));
  }
  graph.node = nodes;
  // Drop the float weights and biases nothing reads any more.
  const used = new Set(nodes.flatMap((n) => n.input));
  graph.initializer = [...graph.initializer.filter((t) => used.has(t.name as string)), ...writer.initializers];
  return { tensors: plan.tensors.size, convs: quantConvs.size };
}
