// Modes backed by the user's own ONNX models (issue #8): a JSON definition (README "Use your
// own model", the schema in daemon/api/modeSchema.ts) becomes a ModeDef. Three stages, each
// naming the field at fault, in daemon/models/definition/:
//   1. validate.ts: the definition alone (the schema, then what depends on the rest);
//      anything left out is taken from the model file when it can be read. Refused
//      definitions are reported in seglens/defineModes' `errors` and not added.
//   2. modelCheck.ts: at load time, the definition against what the model file declares;
//      a mismatch fails the load with 1004 and the mode becomes `failed`, others unaffected.
//   3. inspect.ts: what a file declares plus a suggested definition, for "Add Model…".
// This file reads lists of definitions (seglens/defineModes, --models) and keeps who defined what.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { invalidParams } from '../api/errors';
import { ModeDef, modeInfo } from './modeDef';
import { OnnxSummary, readOnnxSummary } from './onnxInfo';
import { DefineModesResult, DefinitionError, ModesChangedParams } from '../api/protocol';
import { UserModeDef, isObj, resolveModelPath } from './definition/userModeDef';
import { validateDefinition } from './definition/validate';

export { isUserModeDef } from './definition/userModeDef';
export type { UserModeDef } from './definition/userModeDef';
export { validateDefinition } from './definition/validate';
export { checkAgainstModel, verifyUserModel } from './definition/modelCheck';
export { inspectModel, suggestDefinition } from './definition/inspect';

/** Reads the model's declarations when it can (a missing or broken file is a load-time error, not a definition error). */
async function trySummary(file: string): Promise<OnnxSummary | undefined> {
  try {
    return await readOnnxSummary(file);
  } catch {
    return undefined;
  }
}

/** What the file a definition field names declares, and its stamp (modification time and size), when it can be read. */
async function readFileField(raw: unknown, field: 'model' | 'encoder', baseDir: string | undefined): Promise<{ summary?: OnnxSummary; stamp?: string }> {
  const v = isObj(raw) ? raw[field] : undefined;
  if (typeof v !== 'string') return {};
  const r = resolveModelPath(v, baseDir);
  if (typeof r !== 'string') return {};
  const st = await fsp.stat(r).catch(() => undefined);
  return { summary: await trySummary(r), stamp: st?.isFile() ? `${Math.round(st.mtimeMs)}-${st.size}` : undefined };
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
    const model = await readFileField(raw, 'model', opts.baseDir);
    // Prompt modes (issue 25): the encoder file too.
    const encoder = await readFileField(raw, 'encoder', opts.baseDir);
    const res = validateDefinition(raw, {
      index,
      baseDir: opts.baseDir,
      builtinIds: opts.builtinIds,
      summary: model.summary,
      fileStamp: model.stamp,
      encoderSummary: encoder.summary,
      encoderStamp: encoder.stamp,
    });
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
