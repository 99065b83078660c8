// Writing a file safely (issue #20), for every file SegLens writes (CLI outputs, gallery exports
// and reports, the caches):
//  - the data goes to a temporary file with a random name in the target's own folder, created
//    exclusively (O_CREAT|O_EXCL, flag 'wx'): a file or symbolic link planted at that name is
//    never opened, let alone written through;
//  - it then takes the target's name. With `overwrite`, by rename() (an old file is replaced as a
//    whole; a reader sees the old file or the new one). Without, by link() then unlink() of the
//    temporary name: link() fails with EEXIST if anything (a file, a dangling link) has appeared
//    at the name since it was checked, where rename() would replace it. A filesystem without
//    hard links falls back to copyFile(COPYFILE_EXCL), exclusive too but not atomic;
//  - given a `root`, the folders from the root to the file are created one at a time, and none
//    may be a symbolic link (nor the file itself); just before the file takes its name, the
//    folder's real path is checked to be where the walk left it, under the root's real path.
//    A folder swapped for a link between that check and link()/rename() is the race left: it
//    needs someone writing in the output tree at that instant.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A path SegLens will not write: through a symbolic link, or outside its output root. */
export class UnsafePathError extends Error {
  readonly code = 'EUNSAFE';
}

/** The target exists (it did not when checked, or it appeared since) and overwriting was not asked for. */
export class OutputExistsError extends Error {
  readonly code = 'EEXIST';
}

export interface SafeWriteOptions {
  /** Replace an existing file (default: an existing file is an OutputExistsError). */
  overwrite?: boolean;
  /** The output root: the file's real path must stay under the root's (no link on the way). */
  root?: string;
  /** Permissions of a new file (default 0o666, less the umask). */
  mode?: number;
  /** Holds the temporary file while it exists (a CLI removes those on an interrupt). */
  pending?: Set<string>;
}

/** A temporary name beside `file`: random (64 bits), ending in `.tmp` (the caches sweep stale ones). */
export function tempPathFor(file: string): string {
  return `${file}.${crypto.randomBytes(8).toString('hex')}.tmp`;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

function linkRefusal(dir: string): UnsafePathError {
  return new UnsafePathError(`${dir} is a symbolic link: SegLens does not write through links (remove it or choose another output folder)`);
}

/** Creates the folders from `root` to `dir` one at a time, refusing links; `dir`'s expected real path. */
async function safeFolder(root: string, dir: string): Promise<string> {
  const rel = path.relative(root, dir);
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) throw new UnsafePathError(`${dir} is outside the output folder ${root}`);
  await fs.promises.mkdir(root, { recursive: true });
  let cur = root;
  for (const part of rel.split(path.sep).filter(Boolean)) {
    cur = path.join(cur, part);
    await fs.promises.mkdir(cur).catch((e: unknown) => {
      if (errno(e) !== 'EEXIST') throw e;
    });
    const st = await fs.promises.lstat(cur);
    if (st.isSymbolicLink()) throw linkRefusal(cur);
    if (!st.isDirectory()) throw new UnsafePathError(`${cur} is not a folder`);
  }
  return path.join(await fs.promises.realpath(root), rel);
}

/** The temporary file, created exclusively and written whole. */
async function writeTemp(tmp: string, data: Uint8Array | string, mode: number, onCreated: () => void): Promise<void> {
  const h = await fs.promises.open(tmp, 'wx', mode);
  onCreated();
  try {
    await h.writeFile(data);
  } finally {
    await h.close();
  }
}

/** Gives `tmp` the name `file` without replacing anything there. */
async function commitNew(tmp: string, file: string): Promise<void> {
  try {
    await fs.promises.link(tmp, file);
  } catch (e) {
    if (errno(e) === 'EEXIST') throw new OutputExistsError(`${file} exists already`);
    if (!NO_HARD_LINKS.has(errno(e) ?? '')) throw e;
    await fs.promises.copyFile(tmp, file, fs.constants.COPYFILE_EXCL).catch((c: unknown) => {
      throw errno(c) === 'EEXIST' ? new OutputExistsError(`${file} exists already`) : c;
    });
  }
  await fs.promises.rm(tmp, { force: true });
}

/** Writes `data` to `file` as the header of this module says; the temporary file never outlives a failure. */
export async function writeFileSafe(file: string, data: Uint8Array | string, o: SafeWriteOptions = {}): Promise<void> {
  const dir = path.dirname(file);
  const realDir = o.root ? await safeFolder(o.root, dir) : undefined;
  const tmp = tempPathFor(file);
  let created = false;
  o.pending?.add(tmp);
  try {
    await writeTemp(tmp, data, o.mode ?? 0o666, () => (created = true));
    if (realDir !== undefined) {
      if ((await fs.promises.realpath(dir)) !== realDir) throw new UnsafePathError(`${dir} changed into a link while SegLens wrote into it`);
      if ((await fs.promises.lstat(file).catch(() => undefined))?.isSymbolicLink()) throw linkRefusal(file);
    }
    if (o.overwrite) await fs.promises.rename(tmp, file);
    else await commitNew(tmp, file);
  } catch (e) {
    // Only a temporary file this call created: a file planted at its name is not ours.
    if (created) await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  } finally {
    o.pending?.delete(tmp);
  }
}

/** The same, synchronously and always replacing (files that must be written before the process goes on). */
export function writeFileReplacingSync(file: string, data: Uint8Array | string, mode = 0o666): void {
  const tmp = tempPathFor(file);
  const fd = fs.openSync(tmp, 'wx', mode);
  try {
    try {
      fs.writeFileSync(fd, data);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** lstat, never throwing: is anything (file, folder, link, even a dangling one) at `file`? */
export function somethingAt(file: string): boolean {
  return fs.lstatSync(file, { throwIfNoEntry: false }) !== undefined;
}
