// Small ONNX models built by the tests themselves with onnx-proto (no download, no Python),
// and the images that exercise them. Every model reads RGB scaled to 0..1
// (normalization 'zero-one'); the expected answers are exact by construction.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import sharp from 'sharp';
import type { UserModeDefinition } from '../../daemon/api/protocol';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
type Dim = number | string;

export function valueInfo(name: string, dims: Dim[], elemType: number = FLOAT): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

export function tensor(name: string, dims: number[], values: number[]): onnx.ITensorProto {
  return { name, dataType: FLOAT, dims, floatData: values };
}

function node(opType: string, input: string[], output: string[], attrs: Record<string, number> = {}): onnx.INodeProto {
  return {
    opType,
    input,
    output,
    name: `${opType}_${output[0]}`,
    attribute: Object.entries(attrs).map(([name, i]) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i })),
  };
}

function encode(graph: onnx.IGraphProto, opset = 17): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'seglens-tests',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: opset }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

export function writeModel(dir: string, name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/**
 * Class logits from colour, one 1x1 "convolution" (classes x RGB, on 0..1 values):
 * black → 0 (background), red → 1, green → 2, blue → 3.
 */
const CLASS_WEIGHTS = [
  [-1, -1, -1],
  [1, -1, -1],
  [-1, 1, -1],
  [-1, -1, 1],
];
const CLASS_BIAS = [0.5, 0, 0, 0];
export const COLOR_CLASS_LABELS = ['background', 'red', 'green', 'blue'];

/** A user mode definition for a colorClassesModel file at [height, width] (input 'image', zero-one). */
export function colorClassesDef(id: string, model: string, size: [number, number], over: Partial<UserModeDefinition> = {}): UserModeDefinition {
  return { id, model, inputName: 'image', inputSize: size, normalization: 'zero-one', labels: COLOR_CLASS_LABELS, ...over };
}

export interface ColorModelOptions {
  layout: 'NCHW' | 'NHWC';
  /** 'logits': raw scores; 'probabilities': a Softmax over the classes ends the graph. */
  kind: 'logits' | 'probabilities';
  /** [height, width], or 'dynamic' for symbolic height and width. */
  size: [number, number] | 'dynamic';
  inputName?: string;
  outputName?: string;
  /** Extra all-zero classes after the 4 (to test class counts). */
  extraClasses?: number;
  /** End with a Cast to float (as fp16 exports do), after the Softmax. */
  castAtEnd?: boolean;
}

/** The colour classifier: NCHW as Conv 1x1; NHWC as MatMul + Add over the last axis. */
export function colorClassesModel(o: ColorModelOptions): Uint8Array {
  const inName = o.inputName ?? 'image';
  const outName = o.outputName ?? (o.kind === 'logits' ? 'logits' : 'probs');
  const weights = [...CLASS_WEIGHTS, ...Array.from({ length: o.extraClasses ?? 0 }, () => [-5, -5, -5])];
  const bias = [...CLASS_BIAS, ...Array.from({ length: o.extraClasses ?? 0 }, () => -5)];
  const C = weights.length;
  const [h, w]: Dim[] = o.size === 'dynamic' ? ['height', 'width'] : o.size;
  const nodes: onnx.INodeProto[] = [];
  const inits: onnx.ITensorProto[] = [];
  const scores = o.kind === 'logits' ? outName : 'scores';
  let inShape: Dim[];
  let outShape: Dim[];
  if (o.layout === 'NCHW') {
    inShape = [1, 3, h, w];
    outShape = [1, C, h, w];
    inits.push(tensor('W', [C, 3, 1, 1], weights.flat()), tensor('B', [C], bias));
    nodes.push(node('Conv', [inName, 'W', 'B'], [scores]));
  } else {
    inShape = [1, h, w, 3];
    outShape = [1, h, w, C];
    // MatMul [1,H,W,3] x [3,C]: weights transposed.
    const wt: number[] = [];
    for (let k = 0; k < 3; k++) for (let c = 0; c < C; c++) wt.push(weights[c][k]);
    inits.push(tensor('W', [3, C], wt), tensor('B', [C], bias));
    nodes.push(node('MatMul', [inName, 'W'], ['mm']), node('Add', ['mm', 'B'], [scores]));
  }
  const last = o.castAtEnd ? 'before_cast' : outName;
  if (o.kind === 'probabilities') nodes.push(node('Softmax', [scores], [last], { axis: o.layout === 'NCHW' ? 1 : -1 }));
  else if (o.castAtEnd) nodes[nodes.length - 1].output = [last];
  if (o.castAtEnd) nodes.push(node('Cast', [last], [outName], { to: FLOAT }));
  return encode({ name: 'color_classes', node: nodes, initializer: inits, input: [valueInfo(inName, inShape)], output: [valueInfo(outName, outShape)] });
}

/** One-channel matte: red → foreground. 'sigmoid' ends with a Sigmoid (0..1); 'logit' gives the raw score. */
export function redMatteModel(kind: 'sigmoid' | 'logit', size: [number, number]): Uint8Array {
  const [h, w] = size;
  const nodes = [node('Conv', ['image', 'W', 'B'], [kind === 'sigmoid' ? 'score' : 'matte'])];
  if (kind === 'sigmoid') nodes.push(node('Sigmoid', ['score'], ['matte']));
  return encode({
    name: 'red_matte',
    node: nodes,
    initializer: [tensor('W', [1, 3, 1, 1], [40, 0, 0]), tensor('B', [1], [-20])],
    input: [valueInfo('image', [1, 3, h, w])],
    output: [valueInfo('matte', [1, 1, h, w])],
  });
}

/** A model whose output has rank 2 ([1, 3*H*W]): not a segmentation map. */
export function flatOutputModel(size: [number, number]): Uint8Array {
  const [h, w] = size;
  return encode({
    name: 'flat',
    node: [node('Flatten', ['image'], ['flat'], { axis: 1 })],
    input: [valueInfo('image', [1, 3, h, w])],
    output: [valueInfo('flat', [1, 3 * h * w])],
  });
}

// ---------------------------------------------------------------- images

export const QUADRANT_COLORS: [number, number, number][] = [
  [0, 0, 0], // top left: background
  [255, 0, 0], // top right: red
  [0, 255, 0], // bottom left: green
  [0, 0, 255], // bottom right: blue
];

/** Which quadrant (0 TL, 1 TR, 2 BL, 3 BR) pixel (x, y) of a width x height image is in. */
export function quadrantOf(x: number, y: number, width: number, height: number): number {
  return (y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1);
}

/** A PNG of four solid quadrants: black, red / green, blue. */
export async function quadrantsPng(width: number, height: number): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw.set(QUADRANT_COLORS[quadrantOf(x, y, width, height)], (y * width + x) * 3);
  }
  return sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** Decodes a mask PNG (base64, 8-bit grey) to its pixels. */
export async function decodeMask(maskPng: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(Buffer.from(maskPng, 'base64')).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}
