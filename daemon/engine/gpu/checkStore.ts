// The CPU check's verdicts, remembered in the cache folder so that later starts skip the check
// (issue 27): one small JSON file per (model, ONNX Runtime version, provider, adapter), under
// `<cache-dir>/provider-checks/`, written with the one safe writer (util/safeWrite.ts).
import * as crypto from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { ProviderCheck } from '../../api/protocol';
import { writeFileSafe } from '../../util/safeWrite';

export const CHECKS_FOLDER = 'provider-checks';

export interface CheckKey {
  modelSha256: string;
  ortVersion: string;
  provider: string;
  adapter: string;
}

function keyFile(cacheDir: string, k: CheckKey): string {
  const digest = crypto.createHash('sha256').update(JSON.stringify([k.modelSha256, k.ortVersion, k.provider, k.adapter])).digest('hex');
  return path.join(cacheDir, CHECKS_FOLDER, `${digest.slice(0, 32)}.json`);
}

interface Stored {
  key: CheckKey;
  check: ProviderCheck;
}

/** The remembered verdict for `k`, if any (a file that does not parse or names another key is ignored). */
export async function readVerdict(cacheDir: string | undefined, k: CheckKey): Promise<ProviderCheck | undefined> {
  if (!cacheDir) return undefined;
  try {
    const s = JSON.parse(await fsp.readFile(keyFile(cacheDir, k), 'utf8')) as Stored;
    const same = s.key && s.key.modelSha256 === k.modelSha256 && s.key.ortVersion === k.ortVersion && s.key.provider === k.provider && s.key.adapter === k.adapter;
    if (!same || typeof s.check?.passed !== 'boolean' || typeof s.check.figures !== 'object') return undefined;
    return { ...s.check, remembered: true };
  } catch {
    return undefined;
  }
}

/** Remembers a verdict (replacing an older one). */
export async function writeVerdict(cacheDir: string | undefined, k: CheckKey, check: ProviderCheck): Promise<void> {
  if (!cacheDir) return;
  const stored: Stored = { key: k, check: { ...check, remembered: false } };
  await writeFileSafe(keyFile(cacheDir, k), JSON.stringify(stored, null, 2) + '\n', { root: cacheDir, overwrite: true, mode: 0o600 });
}
