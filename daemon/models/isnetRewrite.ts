// The ISNet graph rewrite: fixed 1024x1024 → symbolic height and width (multiples of 64).
import { onnx } from 'onnx-proto';
import { ISNET_HEIGHT_PARAM, ISNET_REWRITE_VERSION, ISNET_WIDTH_PARAM } from './modelSources';

type Long = { toNumber(): number };
const toNum = (v: number | Long | null | undefined): number | undefined =>
  v === null || v === undefined ? undefined : typeof v === 'number' ? v : v.toNumber();

/** Static dims (numbers; undefined where symbolic or unknown) of a value_info, or undefined. */
function staticDims(v: onnx.IValueInfoProto | undefined): (number | undefined)[] | undefined {
  const shape = v?.type?.tensorType?.shape;
  if (!shape || !shape.dim) return undefined;
  return shape.dim.map((d) => (d.dimParam ? undefined : toNum(d.dimValue as number | Long | null | undefined)));
}

/** Values of an int64 tensor (raw little-endian bytes or int64_data). */
function int64Values(t: onnx.ITensorProto): number[] {
  if (t.dataType !== onnx.TensorProto.DataType.INT64) throw new Error(`expected an INT64 tensor, got data type ${t.dataType}`);
  if (t.rawData && t.rawData.length > 0) {
    const raw = Buffer.from(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    const out: number[] = [];
    for (let i = 0; i < raw.length; i += 8) out.push(Number(raw.readBigInt64LE(i)));
    return out;
  }
  return (t.int64Data ?? []).map((v) => toNum(v as number | Long) as number);
}

export interface RewriteResult {
  bytes: Uint8Array;
  /** Resize nodes whose fixed `sizes` were turned into `scales`. */
  resizeNodes: number;
  /** The scale factors used, one [h, w] pair per Resize node, in graph order. */
  scales: [number, number][];
  /** Nodes and initializers dropped because nothing used them any more. */
  removedNodes: number;
  removedInitializers: number;
}

/**
 * Rewrite the 1024x1024 ISNet graph so that height and width are free (multiples of 64).
 *
 * The exported graph upsamples with 39 `Resize` nodes whose `sizes` input is
 * `Concat(Slice(Shape(x), 0, 2), Constant([h, w]))`: the target height and width were frozen
 * at export. Each such Resize gets instead a constant `scales` input `[1, 1, h/H, w/W]`
 * (H, W: its input's spatial size recorded in the graph's value_info), which is exactly what
 * ONNX Runtime derives from `sizes` at 1024 (same output size, same coordinate mapping), and
 * which follows the input at any other size. The dead Shape/Slice/Concat/Constant nodes are
 * removed, the recorded intermediate shapes (all pinned to 1024) are dropped, and the height
 * and width of the graph input and outputs become symbolic.
 */
export function rewriteIsnetDynamic(source: Uint8Array): RewriteResult {
  const model = onnx.ModelProto.decode(source);
  if (!model.graph) throw new Error('ISNet rewrite: the model has no graph');
  // Decoded messages are class instances: their repeated fields are arrays, never null.
  const graph = model.graph as onnx.GraphProto;
  const [fixedH, fixedW] = fixedInputSize(graph);
  const scales = resizeSizesToScales(graph, new GraphIndex(graph));
  const before = graph.node.length;
  const initBefore = graph.initializer.length;
  pruneDeadNodes(graph);
  // The recorded intermediate shapes all pin 1024; ONNX Runtime infers shapes by itself.
  graph.valueInfo = [];
  symbolicHeightWidth(graph.input[0], fixedH, fixedW);
  for (const o of graph.output) symbolicHeightWidth(o, fixedH, fixedW);
  model.producerName = `${model.producerName ?? ''}+seglens-dynamic-hw-v${ISNET_REWRITE_VERSION}`;
  return {
    bytes: onnx.ModelProto.encode(model).finish(),
    resizeNodes: scales.used.length,
    scales: scales.used,
    removedNodes: before - graph.node.length,
    removedInitializers: initBefore - graph.initializer.length,
  };
}

/** The static height and width of the graph input 'input' [N,C,H,W] (fails on an already rewritten graph). */
function fixedInputSize(graph: onnx.GraphProto): [number, number] {
  const inputName = graph.input[0]?.name;
  if (inputName !== 'input') throw new Error(`ISNet rewrite: expected graph input 'input', found '${inputName}'`);
  const inDims = staticDims(graph.input[0]);
  if (!inDims || inDims.length !== 4 || inDims[2] === undefined || inDims[3] === undefined) {
    throw new Error(`ISNet rewrite: graph input 'input' has no static [N,C,H,W] shape (${JSON.stringify(inDims)}); already rewritten?`);
  }
  return [inDims[2], inDims[3]];
}

/** Producers, initializers and recorded shapes by tensor name; evaluates constant int64 vectors. */
class GraphIndex {
  private readonly initializers: Map<string, onnx.ITensorProto>;
  private readonly producer = new Map<string, onnx.NodeProto>();
  private readonly valueInfo = new Map<string, onnx.IValueInfoProto>();

  constructor(graph: onnx.GraphProto) {
    this.initializers = new Map(graph.initializer.map((t) => [t.name as string, t]));
    for (const n of graph.node as onnx.NodeProto[]) for (const o of n.output) this.producer.set(o, n);
    for (const v of [...graph.input, ...graph.valueInfo, ...graph.output]) this.valueInfo.set(v.name as string, v);
  }

  dims(name: string): (number | undefined)[] | undefined {
    return staticDims(this.valueInfo.get(name));
  }

  /** Constant int64 vector behind a tensor name (initializer or Constant node), or undefined. */
  constInts(name: string): number[] | undefined {
    const init = this.initializers.get(name);
    if (init) return int64Values(init);
    const p = this.producer.get(name);
    if (p && p.opType === 'Constant') {
      const value = p.attribute.find((a) => a.name === 'value');
      if (value?.t) return int64Values(value.t);
      const ints = p.attribute.find((a) => a.name === 'value_ints');
      if (ints?.ints) return ints.ints.map((v) => toNum(v as number | Long) as number);
    }
    return undefined;
  }

  /** Evaluates a `sizes` input at the fixed export size: constants, Concat, Slice(Shape(x)). */
  evalSizes(name: string, depth = 0): number[] {
    if (depth > 8) throw new Error(`ISNet rewrite: '${name}' is too deep to evaluate`);
    const c = this.constInts(name);
    if (c) return c;
    const p = this.producer.get(name);
    if (!p) throw new Error(`ISNet rewrite: cannot evaluate '${name}' (no producer)`);
    if (p.opType === 'Concat') return p.input.flatMap((i) => this.evalSizes(i, depth + 1));
    if (p.opType === 'Shape') {
      const dims = this.dims(p.input[0]);
      if (!dims || dims.some((d) => d === undefined)) throw new Error(`ISNet rewrite: no recorded shape for '${p.input[0]}'`);
      return dims as number[];
    }
    if (p.opType === 'Slice') return this.evalSlice(p, depth);
    throw new Error(`ISNet rewrite: unsupported ${p.opType} '${p.name}' in a Resize sizes input`);
  }

  private evalSlice(p: onnx.NodeProto, depth: number): number[] {
    const data = this.evalSizes(p.input[0], depth + 1);
    const starts = this.constInts(p.input[1]);
    const ends = this.constInts(p.input[2]);
    const axes = p.input[3] ? this.constInts(p.input[3]) : [0];
    const steps = p.input[4] ? this.constInts(p.input[4]) : [1];
    if (!starts || !ends || !axes || !steps || starts.length !== 1 || axes[0] !== 0 || steps[0] !== 1) {
      throw new Error(`ISNet rewrite: unsupported Slice '${p.name}' in a Resize sizes input`);
    }
    const clamp = (v: number) => Math.max(0, Math.min(data.length, v < 0 ? v + data.length : v));
    return data.slice(clamp(starts[0]), clamp(ends[0]));
  }
}

/** Gives every Resize with a fixed `sizes` input a constant `scales` input instead. */
function resizeSizesToScales(graph: onnx.GraphProto, index: GraphIndex): { used: [number, number][] } {
  const used: [number, number][] = [];
  const added: onnx.TensorProto[] = [];
  for (const n of graph.node as onnx.NodeProto[]) {
    if (n.opType !== 'Resize') continue;
    const sizesName = n.input[3];
    if (!sizesName) {
      if (n.input[2] && index.constInts(n.input[2]) === undefined) continue; // already scale-based
      throw new Error(`ISNet rewrite: Resize '${n.name}' has neither sizes nor scales`);
    }
    const [sh, sw] = resizeFactors(n, index.evalSizes(sizesName), index.dims(n.input[0]));
    const scalesName = `${n.name || n.output[0]}/seglens_scales`;
    added.push(onnx.TensorProto.create({ name: scalesName, dataType: onnx.TensorProto.DataType.FLOAT, dims: [4], floatData: [1, 1, sh, sw] }));
    // Resize(X, roi, scales): the roi stays empty ('' = not given), sizes is dropped.
    n.input = [n.input[0], n.input[1] ?? '', scalesName];
    used.push([sh, sw]);
  }
  if (used.length === 0) throw new Error('ISNet rewrite: no Resize node with fixed sizes found; is this the ISNet model?');
  graph.initializer.push(...added);
  return { used };
}

/** The whole [h, w] factors a Resize applies at the export size (1 to 64), checked. */
function resizeFactors(n: onnx.NodeProto, sizes: number[], xDims: (number | undefined)[] | undefined): [number, number] {
  if (sizes.length !== 4 || !xDims || xDims.length !== 4 || xDims.some((d) => d === undefined)) {
    throw new Error(`ISNet rewrite: Resize '${n.name}': cannot read sizes ${JSON.stringify(sizes)} or input shape ${JSON.stringify(xDims)}`);
  }
  const [xn, xc, xh, xw] = xDims as number[];
  if (sizes[0] !== xn || sizes[1] !== xc) {
    throw new Error(`ISNet rewrite: Resize '${n.name}' changes batch or channels (${JSON.stringify(sizes)} from ${JSON.stringify(xDims)})`);
  }
  const factors: [number, number] = [sizes[2] / xh, sizes[3] / xw];
  for (const s of factors) {
    if (!Number.isInteger(s) || s < 1 || s > 64) {
      throw new Error(`ISNet rewrite: Resize '${n.name}' scales ${xh}x${xw} to ${sizes[2]}x${sizes[3]}: not a whole factor from 1 to 64`);
    }
  }
  return factors;
}

/**
 * Drops what nothing needs any more (the Shape → Slice → Concat chains and their Constants).
 * The node list is not in topological order (the fp16 conversion appended its Cast nodes at
 * the end), so walk from the outputs through the producers.
 */
function pruneDeadNodes(graph: onnx.GraphProto): void {
  const nodes = graph.node as onnx.NodeProto[];
  const needed = new Set<string>();
  const keep = new Array<boolean>(nodes.length).fill(false);
  const nodeIndex = new Map<string, number>();
  nodes.forEach((n, i) => n.output.forEach((o) => nodeIndex.set(o, i)));
  const stack = graph.output.map((o) => o.name as string);
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (needed.has(name)) continue;
    needed.add(name);
    const i = nodeIndex.get(name);
    if (i === undefined || keep[i]) continue;
    keep[i] = true;
    for (const inp of nodes[i].input) if (inp) stack.push(inp);
    // Subgraphs (If/Loop) would need their outer-scope names too; ISNet has none.
    if (nodes[i].attribute.some((a) => a.g || (a.graphs && a.graphs.length > 0))) throw new Error(`ISNet rewrite: unexpected subgraph in '${nodes[i].name}'`);
  }
  graph.node = nodes.filter((_, i) => keep[i]);
  graph.initializer = graph.initializer.filter((t) => needed.has(t.name as string));
}

/** Symbolic height and width on a 4-D value (an output at 1/k scale gets 'height/k'). */
function symbolicHeightWidth(v: onnx.IValueInfoProto, fixedH: number, fixedW: number): void {
  const dims = v.type?.tensorType?.shape?.dim;
  if (!dims || dims.length !== 4) throw new Error(`ISNet rewrite: '${v.name}' is not 4-D`);
  const name = (param: string, fixed: number, value: number | undefined) => {
    if (value === undefined || value === fixed) return param;
    const k = fixed / value;
    return Number.isInteger(k) ? `${param}/${k}` : `${param}*${value}/${fixed}`;
  };
  const h = toNum(dims[2].dimValue as number | Long | null | undefined);
  const w = toNum(dims[3].dimValue as number | Long | null | undefined);
  dims[2] = onnx.TensorShapeProto.Dimension.create({ dimParam: name(ISNET_HEIGHT_PARAM, fixedH, h) });
  dims[3] = onnx.TensorShapeProto.Dimension.create({ dimParam: name(ISNET_WIDTH_PARAM, fixedW, w) });
}
