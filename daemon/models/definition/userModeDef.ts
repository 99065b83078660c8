// What a user definition becomes (UserModeDef), and the small pieces every stage of
// daemon/models/userModes.ts uses: model paths, normalisation presets, colours.
import * as os from 'node:os';
import * as path from 'node:path';
import { ModeDef } from '../modeDef';
import { NormalizationPreset, Rgb, UserModeDefinition } from '../../api/protocol';

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

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const q = (s: string) => `'${s}'`;

/** Resolves `model` (absolute, `~/...`, or relative to baseDir); a string error when it cannot. */
export function resolveModelPath(model: string, baseDir?: string): string | { error: string } {
  if (model === '~' || model.startsWith('~/') || model.startsWith('~\\')) return path.join(os.homedir(), model.slice(1));
  if (path.isAbsolute(model)) return path.normalize(model);
  if (baseDir) return path.resolve(baseDir, model);
  return { error: `'${model}' is a relative path; give an absolute path (or '~/...')` };
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
