// Stage 3 of a user definition: seglens/inspectModel, what a file declares plus a suggested
// definition, for "Add Model…".
import * as path from 'node:path';
import { invalidParams } from '../../api/errors';
import { genericLabels, presetForClassCount } from '../../api/presets';
import { InspectModelParams, InspectModelResult, PromptPairCheck, UserModeDefinition } from '../../api/protocol';
import { SAM_ENCODER_SIZE } from '../../api/modeSchema';
import { checkSamPair, looksLikeSamDecoder, samNames } from './promptDef';
import { OnnxFormatError, OnnxSummary, readOnnxSummary } from '../onnxInfo';
import { formatShape } from '../../api/tensorShape';
import { guessLayout, outputChannels, spatial } from './tensorLayout';
import { resolveModelPath } from './userModeDef';
import { suggestInstance } from './inspectInstance';

/** A file's declarations; -32602 naming the param when it is not a readable ONNX file. */
async function readForInspect(file: unknown, param: string): Promise<{ resolved: string; s: OnnxSummary }> {
  if (typeof file !== 'string' || file === '') throw invalidParams(`seglens/inspectModel: '${param}' must be a non-empty string`);
  const resolved = resolveModelPath(file);
  if (typeof resolved !== 'string') throw invalidParams(`seglens/inspectModel: '${param}' ${resolved.error}`);
  try {
    return { resolved, s: await readOnnxSummary(resolved) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (e instanceof OnnxFormatError) throw invalidParams(`seglens/inspectModel: ${resolved} is not a readable ONNX model (${e.message})`);
    if (code === 'ENOENT') throw invalidParams(`seglens/inspectModel: ${resolved} does not exist`);
    if (code === 'EISDIR') throw invalidParams(`seglens/inspectModel: ${resolved} is a folder, not an ONNX file`);
    throw invalidParams(`seglens/inspectModel: cannot read ${resolved} (${code ?? (e as Error).message})`);
  }
}

/**
 * seglens/inspectModel: declarations and a suggested definition; -32602 when not a readable
 * ONNX file. With `encoder` (issue 25), `path` is a Segment Anything prompt decoder and the pair
 * is checked against the 'sam' contract (`prompt`).
 */
export async function inspectModel(file: string, pair: Omit<InspectModelParams, 'path'> = {}): Promise<InspectModelResult> {
  const { resolved, s } = await readForInspect(file, 'path');
  const enc = pair.encoder === undefined ? undefined : await readForInspect(pair.encoder, 'encoder');
  const { suggestion, notes } = enc ? suggestPrompt(s, resolved, enc.resolved) : suggestDefinition(s, resolved);
  const result: InspectModelResult = {
    path: resolved,
    inputs: s.inputs,
    outputs: s.outputs,
    fileBytes: s.fileBytes,
    metadata: s.metadata,
    suggestion,
    notes,
  };
  if (enc) result.prompt = checkPair(enc.resolved, enc.s, s, pair);
  if (s.opset !== undefined) result.opset = s.opset;
  if (s.irVersion !== undefined) result.irVersion = s.irVersion;
  if (s.producer) result.producer = s.producerVersion ? `${s.producer} ${s.producerVersion}` : s.producer;
  return result;
}

/** The pair against the contract (promptDef.ts), with the names and size the definition would give. */
function checkPair(encoder: string, enc: OnnxSummary, dec: OnnxSummary, pair: Omit<InspectModelParams, 'path'>): PromptPairCheck {
  const size = typeof pair.encoderSize === 'number' && Number.isInteger(pair.encoderSize) && pair.encoderSize > 0 ? pair.encoderSize : SAM_ENCODER_SIZE;
  const problems = checkSamPair(samNames(pair.samNames ?? undefined, enc), size, enc, dec);
  return { encoder, encoderInputs: enc.inputs, encoderOutputs: enc.outputs, fits: problems.length === 0, problems };
}

/** A prompt mode for a Segment Anything pair (decoder `file`, encoder `encoder`). */
function suggestPrompt(s: OnnxSummary, file: string, encoder: string): { suggestion: UserModeDefinition; notes: string[] } {
  const { id, label } = suggestGeneric(s, file).suggestion;
  const notes = [
    "A Segment Anything pair: the image is resized so that its longer side is 1024, normalised with SAM's mean and std on 0..255, and padded at the bottom and right; each click or box runs the decoder on the image's kept embedding.",
  ];
  return { suggestion: { id, label, task: 'prompt', outputFormat: 'sam', encoder, model: file }, notes };
}

/** A definition guessed from what the file declares, and what the guess could not know. */
export function suggestDefinition(s: OnnxSummary, file: string): { suggestion: UserModeDefinition; notes: string[] } {
  const r = suggestGeneric(s, file);
  if (looksLikeSamDecoder(s)) {
    const { id, label } = r.suggestion;
    const notes = ["A Segment Anything prompt decoder (it takes 'point_coords' and 'point_labels'): give its image encoder too ('encoder' in seglens/inspectModel checks the pair)."];
    return { suggestion: { id, label, task: 'prompt', outputFormat: 'sam', model: file }, notes };
  }
  return suggestInstance(s, r.suggestion) ?? r;
}

function suggestGeneric(s: OnnxSummary, file: string): { suggestion: UserModeDefinition; notes: string[] } {
  const notes: string[] = [];
  const base = path.basename(file).replace(/\.onnx$/i, '');
  const id = base.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 64) || 'my-model';
  const image = s.inputs.find((i) => i.type === 'float32' && i.shape?.length === 4) ?? s.inputs[0];
  if (s.inputs.length > 1) notes.push(`The model has ${s.inputs.length} inputs; '${image.name}' was taken as the image input.`);
  const layout = guessLayout(image) ?? 'NCHW';
  if (!guessLayout(image)) notes.push(`Could not tell the layout from input '${image.name}' ${formatShape(image.shape)}; assumed NCHW.`);
  if (image.type !== 'float32') notes.push(`Input '${image.name}' is ${image.type}; SegLens feeds float32, so this model will not load as it is.`);
  const sg: UserModeDefinition = { id, label: base, model: file, inputName: image.name, inputLayout: layout };
  const sp = spatial(image.shape, layout);
  if (sp && typeof sp.h === 'number' && typeof sp.w === 'number') sg.inputSize = [sp.h, sp.w];
  else {
    sg.inputSize = { multipleOf: 32, target: 512 };
    notes.push('Height and width are free: it will run at 512x512 (rounded to a multiple of 32); check the size and multiple the model was trained for.');
  }
  sg.colorOrder = 'RGB';
  sg.normalization = 'imagenet';
  notes.push("Normalisation and colour order cannot be read from the file: ImageNet mean/std on RGB is assumed (what torchvision, Hugging Face and mmsegmentation models use); check the model's preprocessing.");

  const out = s.outputs.find((o) => o.type === 'float32') ?? s.outputs[0];
  sg.outputName = out.name;
  if (s.outputs.length > 1) notes.push(`The model has ${s.outputs.length} outputs; '${out.name}' was taken.`);
  const op = s.outputOps[out.name];
  const { channels } = outputChannels(out, layout);
  if (channels === 1) {
    sg.task = 'binary';
    sg.outputKind = op === 'Sigmoid' ? 'sigmoid' : 'logit';
    notes.push(op === 'Sigmoid' ? 'One output channel ending in a Sigmoid: a 0..1 foreground matte.' : "One output channel without a final Sigmoid: read as raw logits ('logit'); use 'sigmoid' if it is already 0..1.");
  } else if (channels === 2) {
    sg.task = 'binary';
    sg.outputKind = op === 'Softmax' ? 'probabilities' : 'logits';
    sg.labels = ['background', 'foreground'];
    notes.push("Two output channels: read as background/foreground (binary); set task 'semantic' to show them as two classes instead.");
  } else {
    sg.task = 'semantic';
    sg.outputKind = op === 'Softmax' ? 'probabilities' : 'logits';
    if (channels !== undefined) {
      const p = presetForClassCount(channels);
      if (p) {
        sg.labels = p.id;
        notes.push(`${channels} classes: the '${p.id}' preset (${p.title}) is suggested; make sure the model uses its class order.`);
      } else {
        sg.labels = genericLabels(channels);
        notes.push(`${channels} classes: give their names in output-channel order (placeholders suggested).`);
      }
    } else notes.push(`The class count of output '${out.name}' ${formatShape(out.shape)} is not fixed in the file: give the labels.`);
  }
  if (out.type !== 'float32') notes.push(`Output '${out.name}' is ${out.type}; SegLens reads float32 scores, so this output cannot be used as it is.`);
  sg.warmupIterations = 3;
  return { suggestion: sg, notes };
}
