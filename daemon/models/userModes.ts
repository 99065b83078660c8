// Modes backed by the user's own ONNX models (issue #8): a JSON definition (README "Use your
// own model", protocol type UserModeDefinition) becomes a ModeDef. Three stages, each naming
// the field at fault:
//   1. validateDefinition: the definition alone (missing fields, bad enums, bad numbers...);
//      anything left out is taken from the model file when it can be read. Refused
//      definitions are reported in seglens/defineModes' `errors` and not added.
//   2. checkAgainstModel / verifyUserModel: at load time, the definition against what the
//      model file declares (input/output names, types, ranks, channel and class counts);
//      a mismatch fails the load with 1004 and the mode becomes `failed`, others unaffected.
//   3. inspectModel: what a file declares plus a suggested definition, for "Add Model…".
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MODE_ID_RE } from '../api/constants';
import { SegLensError, invalidParams } from '../api/errors';
import { ModeDef, OutputKind, modeInfo } from './modeDef';
import { OnnxFormatError, OnnxSummary, TensorInfo, formatShape, readOnnxSummary } from './onnxInfo';
import { PRESET_NAMES, distinctPalette, genericLabels, preset, presetForClassCount } from '../api/presets';
import {
  DefineModesResult,
  DefinitionError,
  ErrorCodes,
  InspectModelResult,
  ModesChangedParams,
  NormalizationPreset,
  Rgb,
  UserModeDefinition,
} from '../api/protocol';

/** A ModeDef made from a user definition (what the registry and engine get). */
export interface UserModeDef extends ModeDef {
  custom: true;
  /** The definition as given (for diagnostics and to tell an unchanged redefinition). */
  definition: UserModeDefinition;
  /** Set when the model takes any height and width that is a multiple of this. */
  multipleOf?: number;
}

export function isUserModeDef(def: ModeDef): def is UserModeDef {
  return def.custom === true && (def as Partial<UserModeDef>).definition !== undefined;
}

export const NORMALIZATIONS: Record<NormalizationPreset, { scale: number; mean: [number, number, number]; std: [number, number, number] }> = {
  /** torchvision, timm, Hugging Face image processors, mmsegmentation (same numbers on 0..255). */
  imagenet: { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  'zero-one': { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
  'minus-one-one': { scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
  raw: { scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
};

const FIELDS = [
  'id', 'label', 'description', 'model', 'sha256', 'task', 'inputName', 'inputLayout', 'inputSize', 'colorOrder',
  'normalization', 'scale', 'mean', 'std', 'outputName', 'outputKind', 'labels', 'colors', 'warmupIterations', 'tta',
  'resample',
];
const OUTPUT_KINDS: OutputKind[] = ['logits', 'probabilities', 'sigmoid', 'logit'];
const BINARY_COLORS: Rgb[] = [
  [0, 0, 0],
  [0, 200, 255],
];
const MAX_SIDE = 8192;

export interface ValidateContext {
  /** Position in the list (for DefinitionError.index). */
  index?: number;
  /** Base folder of relative `model` paths; without it they are refused. */
  baseDir?: string;
  /** Ids that cannot be redefined (the built-in modes). */
  builtinIds?: ReadonlySet<string>;
  /** What the model file declares, when it could be read: fills fields left out. */
  summary?: OnnxSummary;
  /** Modification time and size of the file when defined: part of the session key, so a
   * re-exported file sent again (same path) gets a new session rather than the stale one. */
  fileStamp?: string;
}

export interface ValidateResult {
  def?: UserModeDef;
  errors: DefinitionError[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const q = (s: string) => `'${s}'`;

/** Resolves `model` (absolute, `~/...`, or relative to baseDir); a string error when it cannot. */
export function resolveModelPath(model: string, baseDir?: string): string | { error: string } {
  if (model === '~' || model.startsWith('~/') || model.startsWith('~\\')) return path.join(os.homedir(), model.slice(1));
  if (path.isAbsolute(model)) return path.normalize(model);
  if (baseDir) return path.resolve(baseDir, model);
  return { error: `'${model}' is a relative path; give an absolute path (or '~/...')` };
}

function closest(name: string): string | undefined {
  const n = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return FIELDS.find((f) => f.toLowerCase() === n) ?? FIELDS.find((f) => n.length > 3 && (f.toLowerCase().startsWith(n) || n.startsWith(f.toLowerCase())));
}

/** Channels of a rank-4 shape by layout. */
function spatial(shape: TensorInfo['shape'], layout: 'NCHW' | 'NHWC'): { c: number | string | null; h: number | string | null; w: number | string | null } | undefined {
  if (!shape || shape.length !== 4) return undefined;
  return layout === 'NCHW' ? { c: shape[1], h: shape[2], w: shape[3] } : { c: shape[3], h: shape[1], w: shape[2] };
}

/**
 * The channel count of an output (classes, or 1 for a matte) when the file fixes it: rank 4 by
 * layout (the axis equal to `expect` when exactly one is), rank 3 [C,H,W], rank 2 one channel.
 */
export function outputChannels(info: TensorInfo, layout: 'NCHW' | 'NHWC', expect?: number): { channels?: number; axis?: number } {
  const s = info.shape;
  if (!s) return {};
  if (s.length === 4) {
    let axis = layout === 'NCHW' ? 1 : 3;
    if (expect !== undefined) {
      const a1 = s[1] === expect;
      const a3 = s[3] === expect;
      if (a1 && !a3) axis = 1;
      else if (a3 && !a1) axis = 3;
    }
    const c = s[axis];
    return typeof c === 'number' ? { channels: c, axis } : { axis };
  }
  if (s.length === 3) return typeof s[0] === 'number' ? { channels: s[0], axis: 0 } : { axis: 0 };
  if (s.length === 2) return { channels: 1 };
  return {};
}

function guessLayout(info: TensorInfo | undefined): 'NCHW' | 'NHWC' | undefined {
  const s = info?.shape;
  if (!s || s.length !== 4) return undefined;
  if (s[1] === 3 && s[3] !== 3) return 'NCHW';
  if (s[3] === 3 && s[1] !== 3) return 'NHWC';
  return undefined;
}

/** Validates one definition and builds its ModeDef (pure: the summary, if any, is given). */
export function validateDefinition(raw: unknown, ctx: ValidateContext = {}): ValidateResult {
  const index = ctx.index ?? 0;
  const errors: DefinitionError[] = [];
  const id = isObj(raw) && typeof raw.id === 'string' ? raw.id : '';
  const err = (field: string, message: string) => errors.push({ id, index, field, message: `${field}: ${message}` });
  if (!isObj(raw)) {
    err('(definition)', 'a mode definition must be a JSON object');
    return { errors };
  }
  const o = raw;
  for (const k of Object.keys(o)) {
    if (FIELDS.includes(k) || k === 'comment' || k.startsWith('$') || k.startsWith('//')) continue;
    const near = closest(k);
    err(k, `unknown field${near ? ` (did you mean '${near}'?)` : ''}; known fields: ${FIELDS.join(', ')}`);
  }

  // id, label, description
  if (o.id === undefined) err('id', 'missing: give the mode a short id such as "segformer-ade"');
  else if (typeof o.id !== 'string' || !MODE_ID_RE.test(o.id)) err('id', `${JSON.stringify(o.id)} is not a valid id: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  else if (ctx.builtinIds?.has(o.id)) err('id', `'${o.id}' is a built-in mode and cannot be redefined; choose another id`);
  const optStr = (k: string): string | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.trim() === '') {
      err(k, 'must be a non-empty string');
      return undefined;
    }
    return v;
  };
  const label = optStr('label');
  const description = optStr('description');

  // model file
  let file: string | undefined;
  if (o.model === undefined) err('model', 'missing: give the path of the ONNX file');
  else if (typeof o.model !== 'string' || o.model.trim() === '') err('model', 'must be the path of the ONNX file (a string)');
  else {
    const r = resolveModelPath(o.model, ctx.baseDir);
    if (typeof r === 'string') file = r;
    else err('model', r.error);
  }
  let sha256: string | undefined;
  if (o.sha256 !== undefined) {
    if (typeof o.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(o.sha256)) err('sha256', 'must be 64 hexadecimal digits');
    else sha256 = o.sha256.toLowerCase();
  }

  const enumOf = <T extends string>(k: string, values: readonly T[]): T | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !values.includes(v as T)) {
      err(k, `${JSON.stringify(v)} is not one of ${values.map(q).join(', ')}`);
      return undefined;
    }
    return v as T;
  };
  const s = ctx.summary;

  // input
  let inputName = optStr('inputName');
  if (inputName === undefined && o.inputName === undefined) {
    if (s && s.inputs.length === 1) inputName = s.inputs[0].name;
    else if (s) err('inputName', `missing, and the model has ${s.inputs.length} inputs (${s.inputs.map((i) => q(i.name)).join(', ')}): name the image input`);
    else if (file) err('inputName', 'missing, and the model file could not be read to find it: give the name of the image input');
  }
  const inInfo = s?.inputs.find((i) => i.name === inputName);
  const inputLayout = enumOf('inputLayout', ['NCHW', 'NHWC'] as const) ?? (o.inputLayout === undefined ? (guessLayout(inInfo) ?? 'NCHW') : undefined);

  let inputSize: [number, number] | undefined;
  let multipleOf: number | undefined;
  const side = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_SIDE;
  const sizePair = (v: unknown, what: string): [number, number] | undefined => {
    if (side(v)) return [v as number, v as number];
    if (Array.isArray(v) && v.length === 2 && side(v[0]) && side(v[1])) return [v[0] as number, v[1] as number];
    err('inputSize', `${what} must be [height, width] or one number for a square, whole numbers from 1 to ${MAX_SIDE}; got ${JSON.stringify(v)}`);
    return undefined;
  };
  if (o.inputSize !== undefined) {
    const v = o.inputSize;
    if (isObj(v)) {
      const extra = Object.keys(v).filter((k) => k !== 'multipleOf' && k !== 'target');
      if (extra.length) err('inputSize', `unknown key ${extra.map(q).join(', ')}: a dynamic size is {"multipleOf": N, "target": [height, width]}`);
      const m = v.multipleOf;
      if (typeof m !== 'number' || !Number.isInteger(m) || m < 1 || m > 1024) err('inputSize.multipleOf', `must be a whole number from 1 to 1024; got ${JSON.stringify(m)}`);
      else multipleOf = m;
      if (v.target === undefined) err('inputSize.target', 'missing: the size to run the model at, [height, width] or one number');
      else {
        const t = sizePair(v.target, 'inputSize.target');
        if (t && multipleOf) inputSize = [roundTo(t[0], multipleOf), roundTo(t[1], multipleOf)];
      }
    } else inputSize = sizePair(v, 'inputSize');
  } else {
    const sp = inputLayout ? spatial(inInfo?.shape ?? null, inputLayout) : undefined;
    if (sp && typeof sp.h === 'number' && typeof sp.w === 'number') inputSize = [sp.h, sp.w];
    else if (inInfo) err('inputSize', `missing, and the model's input ${q(inInfo.name)} ${formatShape(inInfo.shape)} does not fix height and width: give e.g. {"multipleOf": 32, "target": 512}`);
    else if (file) err('inputSize', 'missing, and the model file could not be read to find it: give [height, width]');
  }

  const colorOrder = enumOf('colorOrder', ['RGB', 'BGR'] as const) ?? 'RGB';
  const tta = enumOf('tta', ['none', 'hflip'] as const) ?? 'none';
  // User modes keep libvips' smooth resampling unless they ask for the reference one.
  const resample = enumOf('resample', ['smooth', 'reference'] as const) ?? 'smooth';

  // normalisation
  const normName = enumOf('normalization', Object.keys(NORMALIZATIONS) as NormalizationPreset[]) ?? 'imagenet';
  const norm = NORMALIZATIONS[normName];
  let scale = norm.scale;
  if (o.scale !== undefined) {
    if (typeof o.scale !== 'number' || !Number.isFinite(o.scale) || o.scale === 0) err('scale', 'must be a non-zero number (1/255 = 0.00392156862745098 maps 0..255 to 0..1)');
    else scale = o.scale;
  }
  const triple = (k: 'mean' | 'std', fallback: [number, number, number]): [number, number, number] => {
    const v = o[k];
    if (v === undefined) return fallback;
    const ok = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && (k === 'mean' || x !== 0);
    if (ok(v)) return [v as number, v as number, v as number];
    if (Array.isArray(v) && v.length === 3 && v.every(ok)) return [v[0], v[1], v[2]];
    err(k, `must be one number or 3 numbers (one per channel, in the model's colour order)${k === 'std' ? ', none of them 0' : ''}; got ${JSON.stringify(v)}`);
    return fallback;
  };
  const mean = triple('mean', norm.mean);
  const std = triple('std', norm.std);

  // output
  let outputName = optStr('outputName');
  if (outputName === undefined && o.outputName === undefined) {
    if (s) outputName = s.outputs[0].name;
    else if (file) err('outputName', 'missing, and the model file could not be read to find it: give the name of the output to read');
  }
  const outInfo = s?.outputs.find((x) => x.name === outputName);
  const outC = outInfo ? outputChannels(outInfo, inputLayout ?? 'NCHW').channels : undefined;
  const op = outputName ? s?.outputOps[outputName] : undefined;

  let task = enumOf('task', ['binary', 'semantic'] as const);
  let kind = enumOf('outputKind', OUTPUT_KINDS);
  const taskGiven = o.task !== undefined;
  const kindGiven = o.outputKind !== undefined;
  // Labels given as a preset or a list of more than 2: classes, whatever the file declares.
  const manyLabels = typeof o.labels === 'string' || (Array.isArray(o.labels) && o.labels.length > 2);
  if (!kindGiven && !taskGiven) {
    // Nothing said: a one-channel output is a matte, more channels are classes.
    if (outC === 1 && !manyLabels) {
      task = 'binary';
      kind = op === 'Sigmoid' ? 'sigmoid' : 'logit';
    } else {
      task = 'semantic';
      kind = op === 'Softmax' ? 'probabilities' : 'logits';
    }
  } else if (kindGiven && !taskGiven) {
    if (kind) task = kind === 'sigmoid' || kind === 'logit' ? 'binary' : 'semantic';
  } else if (!kindGiven && taskGiven && task) {
    if (task === 'semantic') kind = op === 'Softmax' ? 'probabilities' : 'logits';
    // Unknown file: most exported mattes end with their sigmoid.
    else kind = outC === 2 ? (op === 'Softmax' ? 'probabilities' : 'logits') : op === 'Sigmoid' || !s ? 'sigmoid' : 'logit';
  }
  if (task === 'semantic' && (kind === 'sigmoid' || kind === 'logit')) {
    err('outputKind', `'${kind}' reads one channel as a matte (task 'binary'); a semantic mode reads per-class 'logits' or 'probabilities'`);
  }

  // labels and colours
  let labels: string[] | undefined;
  let presetColors: Rgb[] | undefined;
  if (o.labels !== undefined) {
    const v = o.labels;
    if (typeof v === 'string') {
      const p = preset(v);
      if (!p) err('labels', `unknown preset '${v}'; presets: ${PRESET_NAMES.join(', ')} (or give a list of class names)`);
      else {
        labels = [...p.labels];
        presetColors = p.colors;
      }
    } else if (Array.isArray(v) && v.length >= 1 && v.length <= 256 && v.every((x) => typeof x === 'string' && x.trim() !== '')) {
      labels = v as string[];
    } else err('labels', `must be a list of 1 to 256 class names (in output-channel order) or a preset (${PRESET_NAMES.join(', ')})`);
  } else if (task === 'binary') {
    labels = ['background', 'foreground'];
  } else if (outC !== undefined && outC >= 1 && outC <= 256) {
    labels = genericLabels(outC);
  } else if (task === 'semantic' && file) {
    err('labels', `missing, and the number of classes could not be read from the model${outInfo ? ` (output ${q(outInfo.name)} ${formatShape(outInfo.shape)})` : ''}: give the class names or a preset (${PRESET_NAMES.join(', ')})`);
  }
  if (labels && task === 'binary' && labels.length !== 2) {
    err('labels', `a binary mode has 2 labels (background, foreground); got ${labels.length}`);
  }

  let colors: Rgb[] | undefined;
  if (o.colors !== undefined) {
    const v = o.colors;
    if (typeof v === 'string') {
      const p = preset(v);
      if (!p) err('colors', `unknown preset '${v}'; presets: ${PRESET_NAMES.join(', ')} (or give one [r, g, b] or '#rrggbb' per label)`);
      else colors = p.colors.map((c) => [...c] as Rgb);
    } else if (Array.isArray(v)) {
      const parsed = v.map(parseColor);
      const bad = parsed.findIndex((c) => c === undefined);
      if (bad >= 0) err('colors', `colors[${bad}] = ${JSON.stringify(v[bad])} is not [r, g, b] (0..255) or '#rrggbb'`);
      else colors = parsed as Rgb[];
    } else err('colors', "must be a list of [r, g, b] or '#rrggbb', one per label, or a preset name");
    if (colors && labels && colors.length !== labels.length) {
      err('colors', `${colors.length} colours for ${labels.length} labels: give one colour per label`);
      colors = undefined;
    }
  } else if (labels) {
    colors = presetColors ?? (task === 'binary' ? BINARY_COLORS : distinctPalette(labels.length));
  }

  let warmupIterations = 3;
  if (o.warmupIterations !== undefined) {
    const w = o.warmupIterations;
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > 50) err('warmupIterations', `must be a whole number from 0 to 50; got ${JSON.stringify(w)}`);
    else warmupIterations = w;
  }

  if (errors.length || !file || !inputName || !outputName || !inputSize || !inputLayout || !task || !kind || !labels || !colors) return { errors };
  const base = path.basename(file);
  const def: UserModeDef = {
    id,
    label: label ?? id,
    description:
      description ?? `Your model ${base}: ${task === 'semantic' ? `${labels.length} classes` : 'foreground matte'} at ${inputSize[1]}x${inputSize[0]}`,
    task,
    inputSize,
    labels,
    custom: true,
    model: { key: `user:${file}${ctx.fileStamp ? `#${ctx.fileStamp}` : ''}`, file, ...(sha256 ? { sha256 } : {}) },
    inputName,
    outputName,
    layout: inputLayout,
    colorOrder,
    scale,
    mean,
    std,
    output: kind,
    colors,
    tta,
    resample,
    warmupIterations,
    definition: o as unknown as UserModeDefinition,
    ...(multipleOf ? { multipleOf } : {}),
  };
  return { def, errors };
}

function roundTo(v: number, m: number): number {
  return Math.max(m, Math.round(v / m) * m);
}

export function parseColor(v: unknown): Rgb | undefined {
  const byte = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 255;
  if (Array.isArray(v) && v.length === 3 && v.every(byte)) return [v[0], v[1], v[2]];
  if (typeof v === 'string') {
    const m6 = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(v);
    if (m6) return [parseInt(m6[1], 16), parseInt(m6[2], 16), parseInt(m6[3], 16)];
    const m3 = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(v);
    if (m3) return [parseInt(m3[1] + m3[1], 16), parseInt(m3[2] + m3[2], 16), parseInt(m3[3] + m3[3], 16)];
  }
  return undefined;
}

/** Reads the model's declarations when it can (a missing or broken file is a load-time error, not a definition error). */
async function trySummary(file: string): Promise<OnnxSummary | undefined> {
  try {
    return await readOnnxSummary(file);
  } catch {
    return undefined;
  }
}

/** Validates a list of definitions (reading each model's declarations to fill what is left out). */
export async function prepareDefinitions(
  raws: unknown[],
  opts: { baseDir?: string; builtinIds?: ReadonlySet<string> } = {},
): Promise<{ defs: UserModeDef[]; errors: DefinitionError[] }> {
  const defs: UserModeDef[] = [];
  const errors: DefinitionError[] = [];
  const seen = new Set<string>();
  for (let index = 0; index < raws.length; index++) {
    const raw = raws[index];
    let summary: OnnxSummary | undefined;
    let fileStamp: string | undefined;
    if (isObj(raw) && typeof raw.model === 'string') {
      const r = resolveModelPath(raw.model, opts.baseDir);
      if (typeof r === 'string') {
        summary = await trySummary(r);
        const st = await fsp.stat(r).catch(() => undefined);
        if (st?.isFile()) fileStamp = `${Math.round(st.mtimeMs)}-${st.size}`;
      }
    }
    const res = validateDefinition(raw, { index, baseDir: opts.baseDir, builtinIds: opts.builtinIds, summary, fileStamp });
    if (res.def && seen.has(res.def.id)) {
      errors.push({ id: res.def.id, index, field: 'id', message: `id: '${res.def.id}' is defined twice in this list; ids must be unique` });
      continue;
    }
    errors.push(...res.errors);
    if (res.def) {
      seen.add(res.def.id);
      defs.push(res.def);
    }
  }
  return { defs, errors };
}

/** Reads a `--models` file: a JSON array of definitions, or {"modes": [...]}. Throws (with the file named) when unreadable. */
export async function loadDefinitionsFile(file: string, builtinIds: ReadonlySet<string>): Promise<{ defs: UserModeDef[]; errors: DefinitionError[] }> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`--models ${file}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`--models ${file}: not valid JSON (${(e as Error).message})`);
  }
  const list = Array.isArray(json) ? json : isObj(json) && Array.isArray(json.modes) ? json.modes : undefined;
  if (!list) throw new Error(`--models ${file}: expected a JSON array of mode definitions, or {"modes": [...]}`);
  return prepareDefinitions(list, { baseDir: path.dirname(path.resolve(file)), builtinIds });
}

// ---------------------------------------------------------------- load time

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
  if (input.shape && input.shape.length !== 4) {
    return { field: 'inputName', message: `input '${input.name}' has rank ${input.shape.length} ${formatShape(input.shape)}; SegLens feeds one image as a rank-4 tensor [1,3,H,W] (NCHW) or [1,H,W,3] (NHWC)` };
  }
  if (input.shape) {
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
  const file = def.model.file;
  let st;
  try {
    st = await fsp.stat(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw fail('model', code === 'ENOENT' ? `file not found: ${file}` : `cannot read ${file} (${code ?? (e as Error).message})`);
  }
  if (!st.isFile()) throw fail('model', `${file} is not a file`);
  let summary: OnnxSummary;
  try {
    summary = await readOnnxSummary(file);
  } catch (e) {
    if (e instanceof OnnxFormatError) throw fail('model', `${file} is not a valid ONNX model (${e.message})`);
    throw fail('model', `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const m = checkAgainstModel(def, summary);
  if (m) throw fail(m.field, m.message);
}

// ---------------------------------------------------------------- inspection

/** seglens/inspectModel: declarations and a suggested definition; -32602 when not a readable ONNX file. */
export async function inspectModel(file: string): Promise<InspectModelResult> {
  if (typeof file !== 'string' || file === '') throw invalidParams("seglens/inspectModel: 'path' must be a non-empty string");
  const resolved = resolveModelPath(file);
  if (typeof resolved !== 'string') throw invalidParams(`seglens/inspectModel: 'path' ${resolved.error}`);
  let s: OnnxSummary;
  try {
    s = await readOnnxSummary(resolved);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (e instanceof OnnxFormatError) throw invalidParams(`seglens/inspectModel: ${resolved} is not a readable ONNX model (${e.message})`);
    if (code === 'ENOENT') throw invalidParams(`seglens/inspectModel: ${resolved} does not exist`);
    if (code === 'EISDIR') throw invalidParams(`seglens/inspectModel: ${resolved} is a folder, not an ONNX file`);
    throw invalidParams(`seglens/inspectModel: cannot read ${resolved} (${code ?? (e as Error).message})`);
  }
  const { suggestion, notes } = suggestDefinition(s, resolved);
  const result: InspectModelResult = {
    path: resolved,
    inputs: s.inputs,
    outputs: s.outputs,
    fileBytes: s.fileBytes,
    metadata: s.metadata,
    suggestion,
    notes,
  };
  if (s.opset !== undefined) result.opset = s.opset;
  if (s.irVersion !== undefined) result.irVersion = s.irVersion;
  if (s.producer) result.producer = s.producerVersion ? `${s.producer} ${s.producerVersion}` : s.producer;
  return result;
}

/** A definition guessed from what the file declares, and what the guess could not know. */
export function suggestDefinition(s: OnnxSummary, file: string): { suggestion: UserModeDefinition; notes: string[] } {
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

// ---------------------------------------------------------------- seglens/defineModes

/** What defineModes needs from the registry (daemon/registry/registry.ts). */
export interface ModeRegistry {
  modes(): ModeDef[];
  define(def: ModeDef): Promise<'added' | 'replaced' | 'unchanged'>;
  remove(mode: string): Promise<boolean>;
}

/**
 * Applies seglens/defineModes requests one at a time (two windows sending their settings at once).
 *
 * Each user mode remembers who defined it: connected clients, or the daemon's --models file.
 * `replace: true` drops the caller's claim on modes missing from its list and removes those
 * nobody else still claims, so two windows (say, two VS Code profiles with different
 * `seglens.customModels`) sharing one daemon keep each other's modes. A client that leaves
 * keeps its claims until it is gone for good: its modes stay (and stay warm) across a window
 * reload, and are removed by the next `replace` that leaves them out once no connected client
 * claims them. Modes from --models are only ever redefined, never removed.
 */
export class UserModeService {
  private chain: Promise<unknown> = Promise.resolve();
  /** Mode id → who defined it (client objects, or FROM_FILE). */
  private readonly owners = new Map<string, Set<unknown>>();
  private readonly connected = new Set<unknown>();
  private static readonly FROM_FILE = Symbol('--models');

  constructor(
    private readonly registry: ModeRegistry,
    private readonly notify: (p: ModesChangedParams) => void,
  ) {
    for (const d of registry.modes()) if (d.custom) this.owners.set(d.id, new Set([UserModeService.FROM_FILE]));
  }

  /** `owner` identifies the calling client (its connection); its claims count while it is connected. */
  define(params: unknown, owner: unknown = undefined): Promise<DefineModesResult> {
    if (owner !== undefined) this.connected.add(owner);
    const run = this.chain.then(() => this.apply(params, owner));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** The client left: its claims no longer protect its modes from another client's `replace`. */
  clientGone(owner: unknown): void {
    this.connected.delete(owner);
    for (const set of this.owners.values()) set.delete(owner);
  }

  private claimedByOthers(id: string, owner: unknown): boolean {
    const set = this.owners.get(id);
    if (!set) return false;
    for (const o of set) if (o !== owner && (o === UserModeService.FROM_FILE || this.connected.has(o))) return true;
    return false;
  }

  private async apply(params: unknown, owner: unknown): Promise<DefineModesResult> {
    const m = 'seglens/defineModes';
    if (!isObj(params)) throw invalidParams(`${m}: params must be an object {modes: [...]}`);
    if (!Array.isArray(params.modes)) throw invalidParams(`${m}: 'modes' must be an array of mode definitions`);
    if (params.replace !== undefined && typeof params.replace !== 'boolean') throw invalidParams(`${m}: 'replace' must be a boolean`);
    if (params.baseDir !== undefined && (typeof params.baseDir !== 'string' || !path.isAbsolute(params.baseDir))) {
      throw invalidParams(`${m}: 'baseDir' must be an absolute path`);
    }
    const builtinIds = new Set(this.registry.modes().filter((d) => !d.custom).map((d) => d.id));
    const { defs, errors } = await prepareDefinitions(params.modes, { baseDir: params.baseDir as string | undefined, builtinIds });
    const result: DefineModesResult = { modes: [], errors, added: [], replaced: [], unchanged: [], removed: [] };
    for (const def of defs) {
      const outcome = await this.registry.define(def);
      result[outcome].push(def.id);
      result.modes.push(modeInfo(def));
      if (!this.owners.has(def.id)) this.owners.set(def.id, new Set());
      if (owner !== undefined) this.owners.get(def.id)!.add(owner);
    }
    if (params.replace === true) {
      const keep = new Set(defs.map((d) => d.id));
      for (const d of this.registry.modes()) {
        if (!d.custom || keep.has(d.id)) continue;
        this.owners.get(d.id)?.delete(owner);
        if (this.claimedByOthers(d.id, owner)) continue;
        if (await this.registry.remove(d.id)) {
          result.removed.push(d.id);
          this.owners.delete(d.id);
        }
      }
    }
    if (result.added.length || result.replaced.length || result.removed.length) {
      this.notify({ modes: this.registry.modes().map(modeInfo), added: result.added, replaced: result.replaced, removed: result.removed });
    }
    return result;
  }
}
