// Platform packages for a target other than this machine (sharp's @img/sharp-<tag> and
// @img/sharp-libvips-<tag>): npm ci installs only this machine's, so the packaging fetches the
// others itself, at the exact version package-lock.json pins, and refuses a tarball whose
// sha512 is not the lockfile's `integrity`: a VSIX built here carries the same bytes a
// `npm ci` on the target machine would have installed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { extractTarball } from './archives.mjs';

/** `{ version, integrity }` the lockfile pins for `name`, or undefined when it has none. */
export function lockedPackage(lock, name) {
  const entry = lock.packages?.[`node_modules/${name}`];
  return entry?.version ? { version: entry.version, integrity: entry.integrity } : undefined;
}

/** Throws unless `file`'s bytes have the Subresource-Integrity string `integrity` (sha512-…). */
export function checkIntegrity(file, integrity) {
  const wanted = (integrity ?? '').split(/\s+/).filter((s) => s.startsWith('sha512-'));
  if (wanted.length === 0) throw new Error(`${path.basename(file)}: the lockfile gives no sha512 integrity to check it against`);
  const got = `sha512-${createHash('sha512').update(fs.readFileSync(file)).digest('base64')}`;
  if (!wanted.includes(got)) throw new Error(`${path.basename(file)}: integrity mismatch: ${got.slice(0, 27)}…, the lockfile says ${wanted[0].slice(0, 27)}…; refusing it`);
}

/**
 * The tarball of `name` at its locked version, in `cacheDir` (fetched with `npm pack` the first
 * time), checked against the lockfile's integrity every time it is used.
 */
export function fetchLocked(lock, name, cacheDir) {
  const locked = lockedPackage(lock, name);
  if (!locked) throw new Error(`package-lock.json pins no version of ${name}`);
  fs.mkdirSync(cacheDir, { recursive: true });
  // npm pack's own file name: @scope/name → scope-name-<version>.tgz
  const file = path.join(cacheDir, `${name.replace(/^@/, '').replace('/', '-')}-${locked.version}.tgz`);
  if (!fs.existsSync(file)) {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = spawnSync(npm, ['pack', `${name}@${locked.version}`, '--pack-destination', cacheDir, '--silent'], { encoding: 'utf8', shell: process.platform === 'win32' });
    if (r.status !== 0 || !fs.existsSync(file)) throw new Error(`npm pack ${name}@${locked.version} failed: ${(r.stderr || r.stdout || String(r.error ?? r.status)).trim()}`);
  }
  checkIntegrity(file, locked.integrity);
  return { file, ...locked };
}

/** Fetches, checks and unpacks `name` into `<stage>/node_modules/<name>`; returns its version. */
export function stageLocked(lock, name, cacheDir, stage) {
  const { file, version } = fetchLocked(lock, name, cacheDir);
  extractTarball(file, path.join(stage, 'node_modules', name));
  return version;
}
