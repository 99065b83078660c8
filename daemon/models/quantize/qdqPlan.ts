// Which tensors of the float32 ISNet get a QuantizeLinear/DequantizeLinear pair, and where
// each one's range comes from. The rule follows what ONNX Runtime fuses on the CPU:
//  - every tensor that a main-path Conv, MaxPool, Concat, Add or Resize reads is quantised
//    (uint8), so those ops run on integers (QLinearConv, uint8 MaxPool/Resize, QLinearConcat,
//    QLinearAdd), and a Relu before a Q with zero point 0 is folded away;
//  - MaxPool and Resize outputs reuse their input's scale and zero point (their values stay
//    inside the input's range), which is what lets ONNX Runtime drop their Q/DQ;
//  - the graph input is exact in uint8: (v - 128) / 256 is v on a 1/256 grid;
//  - the side Convs (their output leads to a Sigmoid, not a Relu) stay float, and so do the
//    Resize and Sigmoid after them: the matte's last steps cost accuracy in int8.
import { onnx } from 'onnx-proto';

/** Where a quantised tensor's range comes from. */
export type RangeSource = { kind: 'calibrated' } | { kind: 'fixed'; min: number; max: number } | { kind: 'inherit'; from: string };

export interface QdqPlan {
  /** Quantised tensors, in graph order, with the source of each one's range. */
  tensors: Map<string, RangeSource>;
  /** Convs whose input, weights and bias are quantised. */
  quantConvs: onnx.NodeProto[];
}

const MAIN_OPS = new Set(['Conv', 'MaxPool', 'Concat', 'Add', 'Resize']);
/** The ISNet input, (v - 128) / 256 for v in 0..255: uint8 with scale 1/256 and zero point 128. */
export const ISNET_INPUT_RANGE = { min: -0.5, max: 127 / 256 };

function consumersOf(graph: onnx.GraphProto): Map<string, onnx.NodeProto[]> {
  const out = new Map<string, onnx.NodeProto[]>();
  for (const n of graph.node as onnx.NodeProto[]) for (const i of n.input) out.set(i, [...(out.get(i) ?? []), n]);
  return out;
}

/** Whether a node is on the float side path: a Conv not followed by Relu/Conv, or a Resize/Sigmoid fed by one. */
function sidePath(graph: onnx.GraphProto): Set<onnx.NodeProto> {
  const consumers = consumersOf(graph);
  const side = new Set<onnx.NodeProto>();
  for (const n of graph.node as onnx.NodeProto[]) {
    if (n.opType !== 'Conv') continue;
    const next = consumers.get(n.output[0]) ?? [];
    if (next.length > 0 && next.every((c) => c.opType === 'Relu' || c.opType === 'Conv')) continue;
    const stack = [n];
    while (stack.length > 0) {
      const s = stack.pop() as onnx.NodeProto;
      if (side.has(s)) continue;
      side.add(s);
      for (const c of consumers.get(s.output[0]) ?? []) if (c.opType === 'Resize' || c.opType === 'Sigmoid') stack.push(c);
    }
  }
  return side;
}

/**
 * `floatPrefixes`: nodes whose name starts with one of these stay float too (the parts of the
 * network measured to cost accuracy in int8).
 */
export function planQdq(graph: onnx.GraphProto, inputName: string, floatPrefixes: readonly string[] = []): QdqPlan {
  const initializers = new Set(graph.initializer.map((t) => t.name as string));
  const producer = new Map<string, onnx.NodeProto>();
  for (const n of graph.node as onnx.NodeProto[]) for (const o of n.output) producer.set(o, n);
  const side = sidePath(graph);
  const tensors = new Map<string, RangeSource>();
  const quantConvs: onnx.NodeProto[] = [];
  for (const n of graph.node as onnx.NodeProto[]) {
    if (!MAIN_OPS.has(n.opType) || side.has(n) || floatPrefixes.some((p) => n.name.startsWith(p))) continue;
    if (n.opType === 'Conv') quantConvs.push(n);
    // Resize reads its roi and scales as float constants: only its data input is quantised.
    const data = n.opType === 'Conv' || n.opType === 'Resize' ? [n.input[0]] : n.input;
    for (const t of data) {
      if (!t || initializers.has(t) || tensors.has(t)) continue;
      tensors.set(t, t === inputName ? { kind: 'fixed', ...ISNET_INPUT_RANGE } : { kind: 'calibrated' });
    }
  }
  // A MaxPool or Resize output takes its input's parameters (resolved in graph order by the caller).
  for (const [t] of tensors) {
    const p = producer.get(t);
    if (p && (p.opType === 'MaxPool' || p.opType === 'Resize') && tensors.has(p.input[0])) tensors.set(t, { kind: 'inherit', from: p.input[0] });
  }
  return { tensors, quantConvs };
}
