// Stage 2 of a user definition, at load time: the definition against what the model file
// declares (input/output names, types, ranks, channel and class counts). A mismatch fails the
// load with 1004 naming the field, and the mode becomes `failed`; other modes are unaffected.
import { promises as fsp } from 'node:fs';
import { SegLensError } from '../../api/errors';
import { presetForClassCount } from '../../api/presets';
import { ErrorCodes } from '../../api/protocol';
import { OnnxFormatError, OnnxSummary, TensorInfo, readOnnxSummary } from '../onnxInfo';
import { formatShape } from '../../api/tensorShape';
import { outputChannels, spatial } from './tensorLayout';
import { checkInstanceOutputs } from './instanceDef';
import { checkSamPair, samNames } from './promptDef';
import { UserModeDef, q } from './userModeDef';

export interface ModelMismatch {
  field: string;
  message: string;
}

/** The first way the definition disagrees with what the model declares, if any (pure). */
export function checkAgainstModel(def: UserModeDef, s: OnnxSummary): ModelMismatch | undefined {
  const list = (xs: TensorInfo[]) => xs.map((x) => `${q(x.name)} ${formatShape(x.shape)}`).join(', ');
  const input = s.inputs.find((i) => i.name === def.inputName);
  if (!input) return { field: 'inputName', message: `the model has no input '${def.inputName}'; its inputs: ${list(s.inputs)}` };
  if (input.type !== 'float32') return { field: 'inputName', message: `input '${input.name}' is ${input.type}; SegLens feeds float32 images (re-export the model with a float32 input)` };
  if (input.shape && def.unbatched && input.shape.length === 3) {
    const [c, h, w] = input.shape;
    if (c !== 3 || (typeof h === 'number' && h !== def.inputSize[0]) || (typeof w === 'number' && w !== def.inputSize[1])) {
      return { field: 'inputSize', message: `the mode feeds [3, ${def.inputSize[0]}, ${def.inputSize[1]}] but input '${input.name}' is ${formatShape(input.shape)}` };
    }
  } else if (input.shape && input.shape.length !== 4) {
    return { field: 'inputName', message: `input '${input.name}' has rank ${input.shape.length} ${formatShape(input.shape)}; SegLens feeds one image as a rank-4 tensor [1,3,H,W] (NCHW) or [1,H,W,3] (NHWC)` };
  }
  if (input.shape && input.shape.length === 4) {
    const sp = spatial(input.shape, def.layout)!;
    if (typeof sp.c === 'number' && sp.c !== 3) {
      const other = def.layout === 'NCHW' ? 'NHWC' : 'NCHW';
      const hint = spatial(input.shape, other)?.c === 3 ? `: the model looks ${other}, set "inputLayout": "${other}"` : '';
      return { field: 'inputLayout', message: `with ${def.layout} the channel axis of input '${input.name}' ${formatShape(input.shape)} should be 3, it is ${sp.c}${hint}` };
    }
    const [h, w] = def.inputSize;
    if ((typeof sp.h === 'number' && sp.h !== h) || (typeof sp.w === 'number' && sp.w !== w)) {
      return { field: 'inputSize', message: `the mode feeds ${h}x${w} (height x width) but input '${input.name}' is fixed at ${formatShape(input.shape)} (${def.layout})` };
    }
    if (typeof input.shape[0] === 'number' && input.shape[0] !== 1) {
      return { field: 'inputName', message: `input '${input.name}' has a fixed batch of ${input.shape[0]} ${formatShape(input.shape)}; SegLens runs one image at a time (batch 1 or dynamic)` };
    }
  }

  if (def.instanceSpec) {
    const why = checkInstanceOutputs(def.instanceSpec, def.labels.length, def.inputSize, s);
    return why ? { field: 'outputFormat', message: why } : undefined;
  }
  const out = s.outputs.find((x) => x.name === def.outputName);
  if (!out) return { field: 'outputName', message: `the model has no output '${def.outputName}'; its outputs: ${list(s.outputs)}` };
  if (out.type !== 'float32') return { field: 'outputName', message: `output '${out.name}' is ${out.type}; SegLens reads float32 scores (logits, probabilities or a 0..1 matte), not ${out.type}` };
  const binaryOneChannel = def.task === 'binary' && (def.output === 'sigmoid' || def.output === 'logit');
  const expect = def.task === 'semantic' ? def.labels.length : binaryOneChannel ? 1 : 2;
  if (out.shape) {
    const rank = out.shape.length;
    const ranks = def.task === 'semantic' ? [3, 4] : [2, 3, 4];
    if (!ranks.includes(rank)) {
      const want = def.task === 'semantic' ? '[1,C,H,W] or [1,H,W,C] (or [C,H,W])' : '[1,1,H,W], [1,H,W] or [H,W]';
      return { field: 'outputName', message: `output '${out.name}' has rank ${rank} ${formatShape(out.shape)}; a ${def.task} mode reads ${want}` };
    }
    if (rank === 4 && typeof out.shape[0] === 'number' && out.shape[0] !== 1) {
      return { field: 'outputName', message: `output '${out.name}' has a batch of ${out.shape[0]} ${formatShape(out.shape)}; expected 1` };
    }
    const { channels } = outputChannels(out, def.layout, expect);
    if (channels !== undefined) {
      if (def.task === 'semantic' && channels !== expect) {
        return {
          field: 'labels',
          message: `${def.labels.length} labels but output '${out.name}' ${formatShape(out.shape)} has ${channels} classes: give one label per output channel${presetForClassCount(channels) ? ` (${channels} is the class count of the '${presetForClassCount(channels)!.id}' preset)` : ''}`,
        };
      }
      if (binaryOneChannel && channels > 2) {
        return { field: 'outputKind', message: `'${def.output}' reads one channel, but output '${out.name}' ${formatShape(out.shape)} has ${channels}: use task 'semantic' with 'logits' or 'probabilities'` };
      }
      if (!binaryOneChannel && def.task === 'binary' && channels !== 2) {
        return { field: 'outputKind', message: `a binary mode with '${def.output}' reads 2 channels (background, foreground), output '${out.name}' ${formatShape(out.shape)} has ${channels}${channels === 1 ? ": use 'sigmoid' or 'logit'" : ''}` };
      }
    }
  }
  return undefined;
}

/** Load-time check of a user mode: throws 1004 naming the field when the file or its declarations do not fit. */
export async function verifyUserModel(def: UserModeDef): Promise<void> {
  const fail = (field: string, message: string) =>
    new SegLensError(ErrorCodes.ModelLoadFailed, `Model could not be loaded for mode '${def.id}': ${field}: ${message}`);
  const summary = await readDeclared(def.model.file, 'model', fail);
  if (def.promptSpec) {
    // Prompt modes (issue 25): the pair against the 'sam' contract, every problem named.
    const encoder = await readDeclared(def.promptSpec.encoder.file, 'encoder', fail);
    const names = samNames(def.definition.samNames, encoder);
    const problems = checkSamPair(names, def.promptSpec.encoderSize, encoder, summary);
    if (problems.length) throw fail(problems[0].field, problems.map((p) => p.message).join('; '));
    return;
  }
  const m = checkAgainstModel(def, summary);
  if (m) throw fail(m.field, m.message);
}

/** What an ONNX file declares; 1004 naming the field when it is missing or unreadable. */
async function readDeclared(file: string, field: string, fail: (field: string, message: string) => SegLensError): Promise<OnnxSummary> {
  let st;
  try {
    st = await fsp.stat(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw fail(field, code === 'ENOENT' ? `file not found: ${file}` : `cannot read ${file} (${code ?? (e as Error).message})`);
  }
  if (!st.isFile()) throw fail(field, `${file} is not a file`);
  try {
    return await readOnnxSummary(file);
  } catch (e) {
    if (e instanceof OnnxFormatError) throw fail(field, `${file} is not a valid ONNX model (${e.message})`);
    throw fail(field, `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
