// The pure side of "your own models" in VS Code (issue #8), without `vscode` so it is unit-tested:
// settings → seglens/defineModes payload, definition errors worded for a person, the effective
// mode when seglens.mode names a mode that does not exist, and the Add Model… answers → a
// definition appended to (or replacing one in) seglens.customModels.
import type {
  DefineModesParams,
  DefinitionError,
  InspectModelResult,
  LabelPresetName,
  ModelTensorInfo,
  NormalizationPreset,
  OutputKindName,
  Task,
  UserInputSize,
  UserModeDefinition,
} from '../../daemon/api/protocol';
// The daemon's own rules (the id pattern, the definition schema's limits), so the wizard refuses what the daemon would.
import { MODE_ID_RE } from '../../daemon/api/constants';
import { MAX_LABELS, MAX_SIDE } from '../../daemon/api/modeSchema';
import { formatShape } from '../../daemon/api/tensorShape';

export const FALLBACK_MODE = 'balanced';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------- settings → defineModes

export type DefinePlan =
  | { send: true; params: DefineModesParams; /** The setting is not a list (treated as empty). */ notAList: boolean }
  | { send: false; reason: 'untrusted'; configured: number };

/**
 * What to send for the `seglens.customModels` value. The list is the whole set (`replace`), so
 * a definition removed from the settings is removed from the daemon too. In an untrusted
 * workspace nothing is sent: not even an empty list, which would remove the modes a trusted
 * window gave the shared daemon. Entries that are not objects are sent anyway: the daemon
 * names them in `errors` like any other mistake.
 */
export function definePlan(setting: unknown, trusted: boolean): DefinePlan {
  const list = Array.isArray(setting) ? setting : [];
  if (!trusted) return { send: false, reason: 'untrusted', configured: list.length };
  return { send: true, params: { modes: list as UserModeDefinition[], replace: true }, notAList: !Array.isArray(setting) && setting !== undefined && setting !== null };
}

/** The ids the setting defines (for the mode check before the daemon has answered). */
export function definedIds(setting: unknown): string[] {
  if (!Array.isArray(setting)) return [];
  return setting.filter(isObj).map((d) => d.id).filter((id): id is string => typeof id === 'string' && id !== '');
}

/** "mode 'x' (seglens.customModels[2]), field labels: …" — the daemon's message already starts with the field. */
export function describeDefinitionError(e: DefinitionError): string {
  const who = e.id ? `mode '${e.id}'` : `entry ${e.index + 1}`;
  const message = e.message.startsWith(`${e.field}:`) ? e.message.slice(e.field.length + 1).trim() : e.message;
  return `${who} (seglens.customModels[${e.index}]), field '${e.field}': ${message}`;
}

/** One notification for all the errors of one defineModes answer. */
export function definitionErrorsMessage(errors: readonly DefinitionError[]): string {
  if (errors.length === 1) return `SegLens: a custom model was not added: ${describeDefinitionError(errors[0])}`;
  const ids = [...new Set(errors.map((e) => (e.id ? `'${e.id}'` : `entry ${e.index + 1}`)))];
  return `SegLens: ${errors.length} problems in seglens.customModels (${ids.join(', ')}): ${describeDefinitionError(errors[0])}; see the log for the others`;
}

// ---------------------------------------------------------------- seglens.mode

export interface ModeResolution {
  mode: string;
  /** The configured mode does not exist, `mode` is the fallback. */
  fellBack: boolean;
}

/**
 * The mode to use for the configured one. `available` is every mode the daemon (or, before it
 * answered, the catalogue plus the setting) offers; undefined when nothing is known yet.
 */
export function resolveMode(configured: string | undefined, available: readonly string[] | undefined, fallback = FALLBACK_MODE): ModeResolution {
  const mode = configured && configured.trim() ? configured : fallback;
  if (!available || available.length === 0 || available.includes(mode)) return { mode, fellBack: false };
  return { mode: available.includes(fallback) ? fallback : available[0], fellBack: true };
}

// ---------------------------------------------------------------- Add Model…

/** The signature and the daemon's notes, one line each (quick pick rows and the log). */
export function signatureLines(r: InspectModelResult): string[] {
  const t = (x: ModelTensorInfo) => `${x.name}: ${x.type} ${formatShape(x.shape)}`;
  const lines = [
    `Model ${r.path} (${(r.fileBytes / 1e6).toFixed(1)} MB${r.opset !== undefined ? `, opset ${r.opset}` : ''}${r.producer ? `, from ${r.producer}` : ''})`,
    ...r.inputs.map((x) => `input  ${t(x)}`),
    ...r.outputs.map((x) => `output ${t(x)}`),
    ...r.notes.map((n) => `note: ${n}`),
  ];
  return lines;
}

/** Checks a mode id typed in the wizard; a message, or undefined when it can be used. */
export function checkModeId(id: string, builtinIds: readonly string[]): string | undefined {
  if (!id) return 'Give the mode a short id, such as "segformer-ade".';
  if (!MODE_ID_RE.test(id)) return "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.";
  if (builtinIds.includes(id)) return `'${id}' is a built-in mode; choose another id.`;
  return undefined;
}

/** Comma-separated class names → list; a message when it cannot be used. */
export function parseLabelList(text: string, expected?: number): string[] | { error: string } {
  const names = text.split(',').map((s) => s.trim());
  if (names.length === 0 || names.some((n) => n === '')) return { error: 'Give the class names separated by commas, none empty (e.g. "background, person, car").' };
  if (names.length > MAX_LABELS) return { error: `At most ${MAX_LABELS} classes; got ${names.length}.` };
  if (expected !== undefined && names.length !== expected) return { error: `The model has ${expected} output classes; ${names.length} name${names.length === 1 ? '' : 's'} given.` };
  return names;
}

/** The output's class count when the file fixes it (channel axis by layout; rank 3 is [C,H,W]). */
export function outputClassCount(r: InspectModelResult): number | undefined {
  const out = r.outputs.find((o) => o.name === r.suggestion.outputName) ?? r.outputs[0];
  const s = out?.shape;
  if (!s) return undefined;
  const c = s.length === 4 ? s[r.suggestion.inputLayout === 'NHWC' ? 3 : 1] : s.length === 3 ? s[0] : s.length === 2 ? 1 : undefined;
  return typeof c === 'number' ? c : undefined;
}

/** "512x768", and for a free-size model the size it runs at, "512 (multiple of 32)". */
export function formatInputSize(s: UserInputSize | undefined): string {
  if (s === undefined) return '';
  const pair = (v: number | [number, number]) => (typeof v === 'number' ? `${v}x${v}` : `${v[0]}x${v[1]}`);
  if (typeof s === 'number' || Array.isArray(s)) return pair(s);
  return pair(s.target);
}

/**
 * "512", "512x768" or "512, 768" ([height, width]) → the inputSize to write; for a model with
 * free height and width (`multipleOf` from the suggestion) it becomes the run size.
 */
export function parseInputSize(text: string, multipleOf?: number): UserInputSize | { error: string } {
  const m = /^\s*(\d{1,4})\s*(?:[x×,*]\s*(\d{1,4}))?\s*$/i.exec(text);
  const bad = { error: `Give the size as height x width (e.g. "512x512") or one number for a square, from 1 to ${MAX_SIDE}.` };
  if (!m) return bad;
  const h = Number(m[1]);
  const w = m[2] === undefined ? h : Number(m[2]);
  if (h < 1 || w < 1 || h > MAX_SIDE || w > MAX_SIDE) return bad;
  const size: number | [number, number] = h === w ? h : [h, w];
  return multipleOf ? { multipleOf, target: size } : size;
}

export type LabelChoice =
  | { kind: 'preset'; preset: LabelPresetName }
  | { kind: 'generic'; count: number }
  | { kind: 'custom'; names: string[] };

export interface WizardAnswers {
  id: string;
  label: string;
  task: Task;
  outputKind: OutputKindName;
  /** Semantic modes only (a binary mode is background/foreground). */
  labels?: LabelChoice;
  normalization: NormalizationPreset;
  inputSize: UserInputSize;
}

/**
 * The definition the wizard writes: what the daemon read from the file (input and output
 * names, layout, colour order) plus the answers. Only fields the user can read and edit later.
 */
export function buildDefinition(r: InspectModelResult, a: WizardAnswers): UserModeDefinition {
  const s = r.suggestion;
  const def: UserModeDefinition = { id: a.id, label: a.label || a.id, model: r.path };
  if (s.inputName) def.inputName = s.inputName;
  def.inputLayout = s.inputLayout ?? 'NCHW';
  def.inputSize = a.inputSize;
  def.colorOrder = s.colorOrder ?? 'RGB';
  def.normalization = a.normalization;
  if (s.outputName) def.outputName = s.outputName;
  def.task = a.task;
  def.outputKind = a.outputKind;
  if (a.task === 'semantic' && a.labels) {
    if (a.labels.kind === 'preset') def.labels = a.labels.preset;
    else if (a.labels.kind === 'generic') def.labels = Array.from({ length: a.labels.count }, (_, i) => `class ${i}`);
    else def.labels = a.labels.names;
  } else if (a.task === 'binary' && (a.outputKind === 'logits' || a.outputKind === 'probabilities')) {
    def.labels = ['background', 'foreground'];
  }
  return def;
}

/** The setting's list with `def` appended, or put in place of the entry with the same id. */
export function upsertDefinition(setting: unknown, def: UserModeDefinition): { list: unknown[]; replaced: boolean } {
  const list = Array.isArray(setting) ? [...setting] : [];
  const i = list.findIndex((d) => isObj(d) && d.id === def.id);
  if (i >= 0) {
    list[i] = def;
    return { list, replaced: true };
  }
  list.push(def);
  return { list, replaced: false };
}
