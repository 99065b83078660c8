// Stage 1 of a user definition: the definition alone, each mistake naming the field at fault.
// The schema (schemaCheck.ts) says what each field may be; this file adds what depends on
// the rest: built-in ids, model paths, and what the model file declares (when it could be
// read) to fill the fields left out.
import * as path from 'node:path';
import { DefinitionError, Rgb, UserModeDefinition } from '../../api/protocol';
import { DEFINITION_FIELDS, MAX_LABELS, OutputKindName, Task } from '../../api/modeSchema';
import { PRESET_NAMES, distinctPalette, genericLabels, preset } from '../../api/presets';
import { OnnxSummary, TensorInfo } from '../onnxInfo';
import { formatShape } from '../../api/tensorShape';
import { FieldReporter, checkSchema } from './schemaCheck';
import { guessLayout, outputChannels, spatial } from './tensorLayout';
import { NORMALIZATIONS, Obj, UserModeDef, isObj, parseColor, q, resolveModelPath } from './userModeDef';
import { guessFormat, instanceSpec, yoloClassCount } from './instanceDef';
import { parseUltralyticsNames } from './inspectInstance';
import { InstanceSpec } from '../modeDef';
import { SAM_ENCODER_SIZE, SAM_MEAN, SAM_STD } from '../../api/modeSchema';
import { promptSpec, samNames } from './promptDef';
import { ISNET_MODEL_FILE } from '../modelSources';
import { ISNET_FP32_FILE } from '../quantize/isnetFp32File';

/** A definition naming the built-in ISNet file gets its float32 sibling, as the built-in modes do (GPUs without f16). */
function fp32Sibling(file: string): { fp32File?: string } {
  return path.basename(file) === ISNET_MODEL_FILE ? { fp32File: path.join(path.dirname(file), ISNET_FP32_FILE) } : {};
}

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
  /** Prompt modes: what the encoder file declares, and its stamp (as for the model). */
  encoderSummary?: OnnxSummary;
  encoderStamp?: string;
}

export interface ValidateResult {
  def?: UserModeDef;
  errors: DefinitionError[];
}

/** What every step reads: the raw definition, its schema-valid fields, the file's declarations. */
interface Step {
  raw: Obj;
  d: Partial<UserModeDefinition>;
  s?: OnnxSummary;
  file?: string;
  err: FieldReporter;
}
const given = (st: Step, field: keyof UserModeDefinition) => st.raw[field] !== undefined;
type Layout = 'NCHW' | 'NHWC';
const BINARY_COLORS: Rgb[] = [
  [0, 0, 0],
  [0, 200, 255],
];

function closest(name: string): string | undefined {
  const n = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  const fields: readonly string[] = DEFINITION_FIELDS;
  return fields.find((f) => f.toLowerCase() === n) ?? fields.find((f) => n.length > 3 && (f.toLowerCase().startsWith(n) || n.startsWith(f.toLowerCase())));
}

/** Keys that are no field: named, with the closest field. `$...` and `//...` keys are comments. */
function reportUnknownFields(o: Obj, err: FieldReporter): void {
  for (const k of Object.keys(o)) {
    if ((DEFINITION_FIELDS as readonly string[]).includes(k) || k.startsWith('$') || k.startsWith('//')) continue;
    const near = closest(k);
    err(k, `unknown field${near ? ` (did you mean '${near}'?)` : ''}; known fields: ${DEFINITION_FIELDS.join(', ')}`);
  }
}

function modelFile(d: Step['d'], ctx: ValidateContext, err: FieldReporter): string | undefined {
  if (d.id !== undefined && ctx.builtinIds?.has(d.id)) err('id', `'${d.id}' is a built-in mode and cannot be redefined; choose another id`);
  if (d.model === undefined) return undefined;
  const r = resolveModelPath(d.model, ctx.baseDir);
  if (typeof r === 'string') return r;
  err('model', r.error);
  return undefined;
}

const roundTo = (v: number, m: number) => Math.max(m, Math.round(v / m) * m);

function readInputSize(st: Step, info: TensorInfo | undefined, layout: Layout | undefined): { inputSize?: [number, number]; multipleOf?: number } {
  const v = st.d.inputSize;
  const pair = (x: number | [number, number]): [number, number] => (typeof x === 'number' ? [x, x] : [x[0], x[1]]);
  if (v !== undefined) {
    if (typeof v === 'number' || Array.isArray(v)) return { inputSize: pair(v) };
    const [h, w] = pair(v.target);
    return { inputSize: [roundTo(h, v.multipleOf), roundTo(w, v.multipleOf)], multipleOf: v.multipleOf };
  }
  if (given(st, 'inputSize')) return {};
  const sp = layout ? (unbatched(info) ? { h: info!.shape![1], w: info!.shape![2] } : spatial(info?.shape ?? null, layout)) : undefined;
  if (sp && typeof sp.h === 'number' && typeof sp.w === 'number') return { inputSize: [sp.h, sp.w] };
  if (info) st.err('inputSize', `missing, and the model's input ${q(info.name)} ${formatShape(info.shape)} does not fix height and width: give e.g. {"multipleOf": 32, "target": 512}`);
  else if (st.file) st.err('inputSize', 'missing, and the model file could not be read to find it: give [height, width]');
  return {};
}

/** torchvision's detection exports take one image [3, H, W], without a batch axis. */
const unbatched = (info: TensorInfo | undefined) => info?.shape?.length === 3 && info.shape[0] === 3;

function readInput(st: Step) {
  const { d, s, err } = st;
  let inputName = d.inputName;
  if (!given(st, 'inputName')) {
    if (s && s.inputs.length === 1) inputName = s.inputs[0].name;
    else if (s) err('inputName', `missing, and the model has ${s.inputs.length} inputs (${s.inputs.map((i) => q(i.name)).join(', ')}): name the image input`);
    else if (st.file) err('inputName', 'missing, and the model file could not be read to find it: give the name of the image input');
  }
  const info = s?.inputs.find((i) => i.name === inputName);
  const layout = d.inputLayout ?? (given(st, 'inputLayout') ? undefined : (guessLayout(info) ?? 'NCHW'));
  return { inputName, layout, unbatched: unbatched(info), ...readInputSize(st, info, layout) };
}

function readNormalization(d: Step['d'], instance: boolean) {
  // Instance models (Ultralytics, torchvision detection) take x/255 and normalise inside, if at all.
  const norm = NORMALIZATIONS[d.normalization ?? (instance ? 'zero-one' : 'imagenet')];
  const triple = (v: number | [number, number, number] | undefined, fallback: [number, number, number]): [number, number, number] =>
    v === undefined ? fallback : typeof v === 'number' ? [v, v, v] : [v[0], v[1], v[2]];
  return { scale: d.scale ?? norm.scale, mean: triple(d.mean, norm.mean), std: triple(d.std, norm.std) };
}

/** task and outputKind: as given, else from each other, else from the output's channels and last operator. */
function taskAndKind(st: Step, channels: number | undefined, op: string | undefined): { task?: Task; kind?: OutputKindName } {
  const { d, raw } = st;
  let task = d.task;
  let kind = d.outputKind;
  const taskGiven = given(st, 'task');
  const kindGiven = given(st, 'outputKind');
  // Labels given as a preset or a list of more than 2: classes, whatever the file declares.
  const manyLabels = typeof raw.labels === 'string' || (Array.isArray(raw.labels) && raw.labels.length > 2);
  if (!kindGiven && !taskGiven) {
    // Nothing said: a one-channel output is a matte, more channels are classes.
    if (channels === 1 && !manyLabels) return { task: 'binary', kind: op === 'Sigmoid' ? 'sigmoid' : 'logit' };
    return { task: 'semantic', kind: op === 'Softmax' ? 'probabilities' : 'logits' };
  }
  if (kindGiven && !taskGiven) {
    if (kind) task = kind === 'sigmoid' || kind === 'logit' ? 'binary' : 'semantic';
  } else if (!kindGiven && task) {
    if (task === 'semantic') kind = op === 'Softmax' ? 'probabilities' : 'logits';
    // Unknown file: most exported mattes end with their sigmoid.
    else kind = channels === 2 ? (op === 'Softmax' ? 'probabilities' : 'logits') : op === 'Sigmoid' || !st.s ? 'sigmoid' : 'logit';
  }
  if (task === 'semantic' && (kind === 'sigmoid' || kind === 'logit')) {
    st.err('outputKind', `'${kind}' reads one channel as a matte (task 'binary'); a semantic mode reads per-class 'logits' or 'probabilities'`);
  }
  return { task, kind };
}

function readOutput(st: Step, layout: Layout | undefined) {
  const { s } = st;
  let outputName = st.d.outputName;
  if (!given(st, 'outputName')) {
    if (s) outputName = s.outputs[0].name;
    else if (st.file) st.err('outputName', 'missing, and the model file could not be read to find it: give the name of the output to read');
  }
  const info = s?.outputs.find((x) => x.name === outputName);
  const channels = info ? outputChannels(info, layout ?? 'NCHW').channels : undefined;
  const op = outputName ? s?.outputOps[outputName] : undefined;
  return { outputName, info, channels, ...taskAndKind(st, channels, op) };
}

/** Task 'instance' (given, or implied by outputFormat): the format (given, else from the file's output names) and its settings. */
function readInstance(st: Step): { outputName?: string; task?: Task; kind?: OutputKindName; channels?: number; info?: TensorInfo; spec?: InstanceSpec } {
  const format = st.d.outputFormat ?? guessFormat(st.s);
  if (format === 'sam') {
    st.err('outputFormat', "'sam' is for task 'prompt' (an encoder + decoder pair), not 'instance'");
    return {};
  }
  if (!format) {
    if (!given(st, 'outputFormat')) st.err('outputFormat', "missing: an instance mode reads 'yolo-seg' (Ultralytics) or 'boxes-masks' (torchvision Mask R-CNN) outputs");
    return {};
  }
  if (given(st, 'outputKind')) st.err('outputKind', `an instance mode reads its outputs by outputFormat ('${format}'); leave outputKind out`);
  const spec = instanceSpec(format, st.d);
  const channels = format === 'yolo-seg' && st.s ? yoloClassCount(st.s) : undefined;
  return { outputName: spec.outputs[0], task: 'instance', kind: 'logits', channels, spec };
}

/** Task 'instance': given, implied by outputFormat, or (nothing said) the file has one format's outputs. */
const isInstance = (st: Step) =>
  st.d.task === 'instance' ||
  (!given(st, 'task') && (st.d.outputFormat !== undefined || (!given(st, 'outputKind') && !given(st, 'outputName') && guessFormat(st.s) !== undefined)));

type Output = ReturnType<typeof readOutput> & { spec?: InstanceSpec };

/** An Ultralytics export's class names from its metadata, when they fit the class count. */
function ultralyticsNames(st: Step, classes: number | undefined): string[] | undefined {
  const names = parseUltralyticsNames(st.s?.metadata.names);
  return names && (classes === undefined || names.length === classes) ? names : undefined;
}

function readLabels(st: Step, out: Output): { labels?: string[]; presetColors?: Rgb[] } {
  const v = st.d.labels;
  let r: { labels?: string[]; presetColors?: Rgb[] } = {};
  if (typeof v === 'string') {
    const p = preset(v)!;
    r = { labels: [...p.labels], presetColors: p.colors };
  } else if (v !== undefined) r = { labels: v };
  else if (given(st, 'labels')) return {};
  else if (out.task === 'binary') r = { labels: ['background', 'foreground'] };
  else if (out.spec?.format === 'yolo-seg' && ultralyticsNames(st, out.channels)) r = { labels: ultralyticsNames(st, out.channels) };
  else if (out.channels !== undefined && out.channels >= 1 && out.channels <= MAX_LABELS) r = { labels: genericLabels(out.channels) };
  else if (out.task === 'instance' && out.spec?.format === 'boxes-masks') {
    st.err('labels', "missing: a 'boxes-masks' model does not declare its classes; give their names in label order (torchvision's COCO models: the 91 entries of weights.meta['categories'])");
  } else if (st.file) {
    const which = out.info ? ` (output ${q(out.info.name)} ${formatShape(out.info.shape)})` : '';
    st.err('labels', `missing, and the number of classes could not be read from the model${which}: give the class names or a preset (${PRESET_NAMES.join(', ')})`);
  }
  if (r.labels && out.task === 'instance' && r.labels.length > MAX_LABELS) st.err('labels', `at most ${MAX_LABELS} classes`);
  if (r.labels && out.task === 'binary' && r.labels.length !== 2) st.err('labels', `a binary mode has 2 labels (background, foreground); got ${r.labels.length}`);
  return r;
}

function readColors(st: Step, task: Task | undefined, labels: string[] | undefined, presetColors: Rgb[] | undefined): Rgb[] | undefined {
  const v = st.d.colors;
  if (v === undefined) {
    if (given(st, 'colors') || !labels) return undefined;
    return presetColors ?? (task === 'binary' ? BINARY_COLORS : distinctPalette(labels.length, task !== 'instance'));
  }
  const colors = typeof v === 'string' ? preset(v)!.colors.map((c) => [...c] as Rgb) : v.map((c) => parseColor(c)!);
  if (labels && colors.length !== labels.length) {
    st.err('colors', `${colors.length} colours for ${labels.length} labels: give one colour per label`);
    return undefined;
  }
  return colors;
}

/** Task 'prompt': given, or implied by outputFormat 'sam'. */
const isPrompt = (st: Step) => st.d.task === 'prompt' || (!given(st, 'task') && st.d.outputFormat === 'sam');
/** Fields a prompt mode does not read (the contract fixes them). */
const NOT_FOR_PROMPT: (keyof UserModeDefinition)[] = ['inputName', 'inputLayout', 'inputSize', 'colorOrder', 'normalization', 'scale', 'outputName', 'outputKind', 'tta', 'resample', 'warmupShape', 'scoreThreshold', 'iouThreshold', 'maxInstances'];

/** A prompt mode (issue 25): the encoder + decoder pair of the 'sam' contract (promptDef.ts). */
function validatePrompt(st: Step, ctx: ValidateContext, id: string, errors: DefinitionError[]): ValidateResult {
  const { d, err, file } = st;
  if (given(st, 'outputFormat') && d.outputFormat !== 'sam') err('outputFormat', `a prompt mode reads the 'sam' format (a Segment Anything encoder + decoder pair), not '${d.outputFormat}'`);
  if (given(st, 'task') && d.task !== 'prompt' && d.outputFormat === 'sam') err('task', `outputFormat 'sam' is for task 'prompt', not '${d.task}'`);
  for (const f of NOT_FOR_PROMPT) if (given(st, f)) err(f, `a prompt mode does not read '${f}': the 'sam' contract fixes it (see encoderSize, mean, std, samNames)`);
  let encoder: string | undefined;
  if (d.encoder === undefined) {
    if (!given(st, 'encoder')) err('encoder', "missing: a prompt mode names its image encoder's ONNX file in 'encoder' (and the prompt decoder's in 'model')");
  } else {
    const r = resolveModelPath(d.encoder, ctx.baseDir);
    if (typeof r === 'string') encoder = r;
    else err('encoder', r.error);
  }
  const names = samNames(d.samNames, ctx.encoderSummary);
  if (!names.encoderInput && ctx.encoderSummary) {
    err('samNames', `the encoder has ${ctx.encoderSummary.inputs.length} inputs (${ctx.encoderSummary.inputs.map((i) => q(i.name)).join(', ')}): name its image input in samNames.encoderInput`);
  }
  const labels = d.labels === undefined ? ['background', 'foreground'] : typeof d.labels === 'string' ? undefined : d.labels;
  if (!labels || labels.length !== 2) err('labels', 'a prompt mode has 2 labels (background, foreground)');
  const colors = d.colors === undefined ? BINARY_COLORS : typeof d.colors === 'string' ? undefined : d.colors.map((c) => parseColor(c)!);
  if (!colors || colors.length !== 2) err('colors', 'a prompt mode has 2 colours (background, foreground)');
  if (errors.length || !file || !encoder || !labels || !colors) return { errors };
  const S = d.encoderSize ?? SAM_ENCODER_SIZE;
  const triple = (v: number | [number, number, number] | undefined, fallback: readonly [number, number, number]): [number, number, number] =>
    v === undefined ? [...fallback] : typeof v === 'number' ? [v, v, v] : [v[0], v[1], v[2]];
  const stamp = (f: string, s: string | undefined) => `user:${f}${s ? `#${s}` : ''}`;
  const def: UserModeDef = {
    id,
    label: d.label ?? id,
    description: d.description ?? `Your prompt model ${path.basename(file)} with encoder ${path.basename(encoder)}: clicks and boxes at ${S}`,
    task: 'prompt',
    inputSize: [S, S],
    labels,
    custom: true,
    model: { key: stamp(file, ctx.fileStamp), file, ...(d.sha256 ? { sha256: d.sha256.toLowerCase() } : {}) },
    // The encoder's image input (filled for real at load time when the file could not be read now).
    inputName: names.encoderInput ?? '',
    outputName: names.masks!,
    layout: 'NCHW',
    colorOrder: 'RGB',
    scale: 1,
    mean: triple(d.mean, SAM_MEAN),
    std: triple(d.std, SAM_STD),
    output: 'logits',
    colors,
    tta: 'none',
    resample: 'smooth',
    // One dummy encoder run pays the first-run cost; each more costs a whole encoder run.
    warmupIterations: d.warmupIterations ?? 1,
    promptSpec: promptSpec({ key: stamp(encoder, ctx.encoderStamp), file: encoder }, S, names),
    definition: st.raw as unknown as UserModeDefinition,
  };
  return { def, errors };
}

/** Validates one definition and builds its ModeDef (pure: the summary, if any, is given). */
export function validateDefinition(raw: unknown, ctx: ValidateContext = {}): ValidateResult {
  const index = ctx.index ?? 0;
  const errors: DefinitionError[] = [];
  const id = isObj(raw) && typeof raw.id === 'string' ? raw.id : '';
  const err: FieldReporter = (field, message) => errors.push({ id, index, field, message: `${field}: ${message}` });
  if (!isObj(raw)) {
    err('(definition)', 'a mode definition must be a JSON object');
    return { errors };
  }
  reportUnknownFields(raw, err);
  const d = checkSchema(raw, err);
  const st: Step = { raw, d, s: ctx.summary, err, file: modelFile(d, ctx, err) };
  if (isPrompt(st)) return validatePrompt(st, ctx, id, errors);
  for (const f of ['encoder', 'encoderSize', 'samNames'] as const) if (given(st, f)) err(f, `'${f}' is for prompt modes (task 'prompt', outputFormat 'sam')`);
  const input = readInput(st);
  const instance = isInstance(st);
  if (!instance && given(st, 'outputFormat') && d.task) err('outputFormat', `outputFormat '${d.outputFormat}' is for task ${d.outputFormat === 'sam' ? "'prompt'" : "'instance'"}, not '${d.task}'`);
  const norm = readNormalization(d, instance);
  const out: Output = instance ? { info: undefined, channels: undefined, outputName: undefined, ...readInstance(st) } : readOutput(st, input.layout);
  const { labels, presetColors } = readLabels(st, out);
  const colors = readColors(st, out.task, labels, presetColors);
  const { file } = st;
  const { inputName, layout, inputSize, multipleOf } = input;
  const { outputName, task, kind } = out;
  if (errors.length || !file || !inputName || !outputName || !inputSize || !layout || !task || !kind || !labels || !colors) return { errors };
  const summary = task === 'semantic' ? `${labels.length} classes` : task === 'instance' ? `${labels.length}-class instances (${out.spec!.format})` : 'foreground matte';
  const def: UserModeDef = {
    id,
    label: d.label ?? id,
    description: d.description ?? `Your model ${path.basename(file)}: ${summary} at ${inputSize[1]}x${inputSize[0]}`,
    task,
    inputSize,
    labels,
    custom: true,
    model: { key: `user:${file}${ctx.fileStamp ? `#${ctx.fileStamp}` : ''}`, file, ...(d.sha256 ? { sha256: d.sha256.toLowerCase() } : {}), ...fp32Sibling(file) },
    inputName,
    outputName,
    layout,
    colorOrder: d.colorOrder ?? 'RGB',
    ...norm,
    output: kind,
    colors,
    tta: d.tta ?? 'none',
    // User modes keep libvips' smooth resampling unless they ask for the reference one.
    resample: d.resample ?? 'smooth',
    warmupIterations: d.warmupIterations ?? 3,
    ...(d.warmupShape ? { warmupShape: d.warmupShape } : {}),
    ...(out.spec ? { instanceSpec: out.spec } : {}),
    ...(input.unbatched ? { unbatched: true } : {}),
    definition: raw as unknown as UserModeDefinition,
    ...(multipleOf ? { multipleOf } : {}),
  };
  return { def, errors };
}
