// Stage 1a of a user definition: the definition against the one schema (daemon/api/modeSchema.ts),
// each refused field reported once, by name, with what it may be. What passes is typed.
import { Value } from '@sinclair/typebox/value';
import { PRESET_NAMES, isPresetName } from '../../api/presets';
import {
  ColorSchema,
  DEFINITION_FIELDS,
  DynamicSizeSchema,
  MAX_LABELS,
  MAX_MULTIPLE_OF,
  MAX_SIDE,
  MAX_WARMUP_ITERATIONS,
  UserModeDefinition,
  UserModeSchema,
} from '../../api/modeSchema';
import { Obj, isObj, q } from './userModeDef';

export type FieldReporter = (field: string, message: string) => void;
type Field = keyof UserModeDefinition;

const json = (v: unknown) => JSON.stringify(v);
const FIELD_SET = new Set<string>(DEFINITION_FIELDS);
const nonEmpty = () => 'must be a non-empty string';
const triple = (k: 'mean' | 'std') => (v: unknown) =>
  `must be one number or 3 numbers (one per channel, in the model's colour order)${k === 'std' ? ', none of them 0' : ''}; got ${json(v)}`;
const unknownPreset = (v: string, other: string) => `unknown preset '${v}'; presets: ${PRESET_NAMES.join(', ')} (${other})`;

/** What a refused value may be, per field (enums say their values from the schema). */
const MESSAGES: Partial<Record<Field, (v: unknown) => string>> = {
  id: (v) => (v === undefined ? 'missing: give the mode a short id such as "segformer-ade"' : `${json(v)} is not a valid id: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`),
  model: (v) => (v === undefined ? 'missing: give the path of the ONNX file' : 'must be the path of the ONNX file (a string)'),
  label: nonEmpty,
  description: nonEmpty,
  inputName: nonEmpty,
  outputName: nonEmpty,
  comment: () => 'must be a string',
  sha256: () => 'must be 64 hexadecimal digits',
  scale: () => 'must be a non-zero number (1/255 = 0.00392156862745098 maps 0..255 to 0..1)',
  mean: triple('mean'),
  std: triple('std'),
  warmupIterations: (v) => `must be a whole number from 0 to ${MAX_WARMUP_ITERATIONS}; got ${json(v)}`,
  labels: (v) =>
    typeof v === 'string'
      ? unknownPreset(v, 'or give a list of class names')
      : `must be a list of 1 to ${MAX_LABELS} class names (in output-channel order) or a preset (${PRESET_NAMES.join(', ')})`,
  colors: (v) => {
    if (typeof v === 'string') return unknownPreset(v, "or give one [r, g, b] or '#rrggbb' per label");
    const bad = Array.isArray(v) ? v.findIndex((c) => !Value.Check(ColorSchema, c)) : -1;
    if (bad >= 0) return `colors[${bad}] = ${json((v as unknown[])[bad])} is not [r, g, b] (0..255) or '#rrggbb'`;
    return "must be a list of [r, g, b] or '#rrggbb', one per label, or a preset name";
  },
};

/** inputSize names the part at fault: `inputSize.multipleOf`, `inputSize.target`, or the whole. */
function reportInputSize(v: unknown, err: FieldReporter): void {
  const pair = (what: string, x: unknown) =>
    err('inputSize', `${what} must be [height, width] or one number for a square, whole numbers from 1 to ${MAX_SIDE}; got ${json(x)}`);
  if (!isObj(v)) return pair('inputSize', v);
  const extra = Object.keys(v).filter((k) => !(k in DynamicSizeSchema.properties));
  if (extra.length) err('inputSize', `unknown key ${extra.map(q).join(', ')}: a dynamic size is {"multipleOf": N, "target": [height, width]}`);
  if (!Value.Check(DynamicSizeSchema.properties.multipleOf, v.multipleOf)) {
    err('inputSize.multipleOf', `must be a whole number from 1 to ${MAX_MULTIPLE_OF}; got ${json(v.multipleOf)}`);
  }
  if (v.target === undefined) err('inputSize.target', 'missing: the size to run the model at, [height, width] or one number');
  else if (!Value.Check(DynamicSizeSchema.properties.target, v.target)) pair('inputSize.target', v.target);
}

function report(field: Field, v: unknown, err: FieldReporter): void {
  if (field === 'inputSize') return reportInputSize(v, err);
  const schema = UserModeSchema.properties[field] as { enum?: string[] };
  const message = MESSAGES[field]?.(v) ?? `${json(v)} is not one of ${(schema.enum ?? []).map(q).join(', ')}`;
  err(field, message);
}

/** Preset names are read case-insensitively ('VOC' is 'voc'), as the daemon always has. */
function withPresetsLowercased(o: Obj): Obj {
  const lower = (v: unknown) => (typeof v === 'string' && isPresetName(v) ? v.toLowerCase() : v);
  return { ...o, ...('labels' in o ? { labels: lower(o.labels) } : {}), ...('colors' in o ? { colors: lower(o.colors) } : {}) };
}

/**
 * Reports each field the schema refuses (unknown fields are left to the caller, which names
 * the closest known one) and returns the fields that passed, typed.
 */
export function checkSchema(raw: Obj, err: FieldReporter): Partial<UserModeDefinition> {
  const o = withPresetsLowercased(raw);
  const bad = new Set<string>();
  for (const e of Value.Errors(UserModeSchema, o)) {
    const field = e.path.split('/')[1];
    if (!FIELD_SET.has(field) || bad.has(field)) continue;
    bad.add(field);
    report(field as Field, o[field], err);
  }
  const valid: Obj = {};
  for (const f of DEFINITION_FIELDS) if (o[f] !== undefined && !bad.has(f)) valid[f] = o[f];
  return valid as Partial<UserModeDefinition>;
}
