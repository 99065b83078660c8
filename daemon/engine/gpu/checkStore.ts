// What the engine remembers about GPU providers in the cache folder, so that later starts skip
// the work (issue 27): one small JSON file per key under `<cache-dir>/provider-checks/`, named by
// a digest of the key and holding `{key, <field>: value}`, written with the one safe writer
// (util/safeWrite.ts). The CPU check's verdicts are keyed by (model, ONNX Runtime version,
// provider, adapter); the "no WebGPU adapter" answer (adapterMemo.ts) by its own key.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { ProviderCheck } from '../../api/protocol';
import { removeQuietly, sha256 } from '../../util/fileOps';
import { writeFileSafe } from '../../util/safeWrite';

export const CHECKS_FOLDER = 'provider-checks';

/** A key: named strings, in a fixed order (the file name is the digest of the values in that order). */
export type StoreKey = Record<string, string>;

function keyFile(cacheDir: string, k: StoreKey): string {
  const digest = sha256(JSON.stringify(Object.values(k)));
  return path.join(cacheDir, CHECKS_FOLDER, `${digest.slice(0, 32)}.json`);
}

/** The value stored under `field` for `k`, if any (a file that does not parse or names another key is ignored). */
export async function readEntry(cacheDir: string | undefined, k: StoreKey, field: string): Promise<unknown> {
  if (!cacheDir) return undefined;
  try {
    const s = JSON.parse(await fsp.readFile(keyFile(cacheDir, k), 'utf8')) as Record<string, unknown>;
    return JSON.stringify(s.key) === JSON.stringify(k) ? s[field] : undefined;
  } catch {
    return undefined;
  }
}

/** Stores `value` under `field` for `k` (replacing an older entry). */
export async function writeEntry(cacheDir: string | undefined, k: StoreKey, field: string, value: unknown): Promise<void> {
  if (!cacheDir) return;
  await writeFileSafe(keyFile(cacheDir, k), JSON.stringify({ key: k, [field]: value }, null, 2) + '\n', { root: cacheDir, overwrite: true, mode: 0o600 });
}

/** Forgets what is stored for `k`. */
export async function removeEntry(cacheDir: string | undefined, k: StoreKey): Promise<void> {
  if (cacheDir) await removeQuietly(keyFile(cacheDir, k));
}

export interface CheckKey {
  modelSha256: string;
  ortVersion: string;
  provider: string;
  adapter: string;
}

/** The store's key of a verdict (fields in the order the files are named by). */
const verdictKey = (k: CheckKey): StoreKey => ({ modelSha256: k.modelSha256, ortVersion: k.ortVersion, provider: k.provider, adapter: k.adapter });

/** The remembered verdict for `k`, if any. */
export async function readVerdict(cacheDir: string | undefined, k: CheckKey): Promise<ProviderCheck | undefined> {
  const check = (await readEntry(cacheDir, verdictKey(k), 'check')) as ProviderCheck | undefined;
  if (typeof check?.passed !== 'boolean' || typeof check.figures !== 'object') return undefined;
  return { ...check, remembered: true };
}

/** Remembers a verdict (replacing an older one). */
export async function writeVerdict(cacheDir: string | undefined, k: CheckKey, check: ProviderCheck): Promise<void> {
  await writeEntry(cacheDir, verdictKey(k), 'check', { ...check, remembered: false });
}
