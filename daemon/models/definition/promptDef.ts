// The prompt part of a user definition (task 'prompt', outputFormat 'sam', issue 25): the
// tensor names with their defaults, and the Segment Anything ONNX contract checked against
// what the two files declare. Used at definition time (validate.ts), at load time
// (modelCheck.ts) and by seglens/inspectModel for a pair (inspect.ts).
import { SAM_NAMES, SamNameKey, SamNames } from '../../api/modeSchema';
import { formatShape } from '../../api/tensorShape';
import { OnnxSummary, TensorInfo } from '../onnxInfo';
import { PromptSpec } from '../modeDef';
import { q } from './userModeDef';

export interface ContractProblem {
  /** The definition field at fault: 'encoder' or 'model' (the decoder), or 'samNames'. */
  field: 'encoder' | 'model' | 'samNames';
  message: string;
}

/** Every name of the contract: the definition's overrides, else the defaults; the encoder's input
 * defaults to its only input (undefined when it has several and none was named). */
export function samNames(given: SamNames | undefined, encoder: OnnxSummary | undefined): Partial<Record<SamNameKey, string>> {
  const names: Partial<Record<SamNameKey, string>> = { ...SAM_NAMES, ...given };
  if (!names.encoderInput && encoder?.inputs.length === 1) names.encoderInput = encoder.inputs[0].name;
  return names;
}

type Dim = number | string | null;
const fits = (d: Dim, want: number | undefined) => typeof d !== 'number' || want === undefined || d === want;
const show = (t: TensorInfo) => `${q(t.name)} ${formatShape(t.shape)}`;
const want = (dims: (number | string)[]) => `[${dims.join(', ')}]`;

/** One tensor against its expected type and shape (undefined axes are free). */
function checkTensor(t: TensorInfo, what: string, dims: (number | undefined)[], label: (number | string)[]): string | undefined {
  if (t.type !== 'float32') return `${what} ${show(t)} is ${t.type}; the contract has float32 ${want(label)}`;
  if (!t.shape) return undefined;
  if (t.shape.length !== dims.length || t.shape.some((d, i) => !fits(d, dims[i]))) return `${what} ${show(t)} does not fit: expected ${want(label)}`;
  return undefined;
}

/**
 * The ways a pair does not fit the contract, each naming the input or output and the shape
 * expected (segment-anything's export_onnx_model.py; docs/models.md). Empty when it fits.
 */
export function checkSamPair(names: Partial<Record<SamNameKey, string>>, encoderSize: number, enc: OnnxSummary, dec: OnnxSummary): ContractProblem[] {
  const problems: ContractProblem[] = [];
  const listOf = (xs: TensorInfo[]) => xs.map(show).join(', ');
  const find = (xs: TensorInfo[], name: string | undefined) => (name ? xs.find((x) => x.name === name) : undefined);
  const S = encoderSize;
  // The encoder: the image in, the embedding out.
  const image = find(enc.inputs, names.encoderInput);
  if (!names.encoderInput) problems.push({ field: 'samNames', message: `the encoder has ${enc.inputs.length} inputs (${listOf(enc.inputs)}): name its image input in samNames.encoderInput` });
  else if (!image) problems.push({ field: 'encoder', message: `the encoder has no input ${q(names.encoderInput)}; its inputs: ${listOf(enc.inputs)}` });
  else {
    const why = checkTensor(image, 'encoder input', [1, 3, S, S], [1, 3, S, S]);
    if (why) problems.push({ field: 'encoder', message: why });
  }
  const embOut = find(enc.outputs, names.imageEmbeddings);
  let emb: (number | undefined)[] = [1, undefined, undefined, undefined];
  if (!embOut) problems.push({ field: 'encoder', message: `the encoder has no output ${q(names.imageEmbeddings!)} [1, 256, 64, 64]; its outputs: ${listOf(enc.outputs)}` });
  else {
    const why = checkTensor(embOut, 'encoder output', emb, [1, 256, 64, 64]);
    if (why) problems.push({ field: 'encoder', message: why });
    else if (embOut.shape) emb = embOut.shape.map((d, i) => (i === 0 ? 1 : typeof d === 'number' ? d : undefined));
  }
  // The decoder: what SegLens feeds, then what it reads.
  const [, C, h, w] = emb;
  const lowH = h === undefined ? 256 : 4 * h;
  const lowW = w === undefined ? 256 : 4 * w;
  const inputs: [SamNameKey, (number | undefined)[], (number | string)[]][] = [
    ['imageEmbeddings', [1, C, h, w], [1, C ?? 256, h ?? 64, w ?? 64]],
    ['pointCoords', [1, undefined, 2], [1, 'N', 2]],
    ['pointLabels', [1, undefined], [1, 'N']],
    ['maskInput', [1, 1, lowH, lowW], [1, 1, lowH, lowW]],
    ['hasMaskInput', [1], [1]],
    ['origImSize', [2], [2]],
  ];
  for (const [key, dims, label] of inputs) {
    const t = find(dec.inputs, names[key]);
    if (!t) problems.push({ field: 'model', message: `the decoder has no input ${q(names[key]!)} ${want(label)}; its inputs: ${listOf(dec.inputs)}` });
    else {
      const why = checkTensor(t, 'decoder input', dims, label);
      if (why) problems.push({ field: 'model', message: why });
    }
  }
  const fed = new Set(inputs.map(([k]) => names[k]));
  const extra = dec.inputs.filter((i) => !fed.has(i.name));
  if (extra.length) problems.push({ field: 'model', message: `the decoder has inputs the contract does not feed: ${listOf(extra)} (the contract's: image_embeddings, point_coords, point_labels, mask_input, has_mask_input, orig_im_size)` });
  const outputs: [SamNameKey, (number | undefined)[], (number | string)[]][] = [
    ['masks', [1, undefined, undefined, undefined], [1, 'K', 'H', 'W']],
    ['iouPredictions', [1, undefined], [1, 'K']],
    ['lowResMasks', [1, undefined, lowH, lowW], [1, 'K', lowH, lowW]],
  ];
  for (const [key, dims, label] of outputs) {
    const t = find(dec.outputs, names[key]);
    if (!t) problems.push({ field: 'model', message: `the decoder has no output ${q(names[key]!)} ${want(label)}; its outputs: ${listOf(dec.outputs)}` });
    else {
      const why = checkTensor(t, 'decoder output', dims, label);
      if (why) problems.push({ field: 'model', message: why });
    }
  }
  return problems;
}

/** The prompt spec of a checked definition (every name known). */
export function promptSpec(encoder: PromptSpec['encoder'], encoderSize: number, names: Partial<Record<SamNameKey, string>>): PromptSpec {
  return { encoder, encoderSize, names: names as Record<SamNameKey, string> };
}

/** The decoder looks like a SAM prompt decoder (it takes point coordinates and labels). */
export function looksLikeSamDecoder(s: OnnxSummary): boolean {
  const names = new Set(s.inputs.map((i) => i.name));
  return names.has(SAM_NAMES.pointCoords) && names.has(SAM_NAMES.pointLabels);
}
