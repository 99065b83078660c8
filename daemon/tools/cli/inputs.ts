// Which images a run takes: the files given, and the images in the folders given (recursive
// by default), each with its input root; outputs named after the path relative to that root;
// `--shard K/N` by a stable hash of that relative path.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findGroundTruth } from '../../api/groundTruth';
import { UsageError } from './args';

export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp', '.tif', '.tiff', '.avif']);

export interface InputImage {
  /** Absolute path. */
  file: string;
  /** The folder given on the command line, or the file's own folder for a file given. */
  root: string;
  /** Relative to root, '/' separators. */
  rel: string;
  /** Output base: rel without extension (or with it, when two images in a folder share a stem). */
  outBase: string;
  /** Absolute ground-truth path, when one was found. */
  gt?: string;
}

const slash = (p: string) => p.split(path.sep).join('/');

function walk(dir: string, recursive: boolean, skip: Set<string>, out: string[]): void {
  const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.name.startsWith('.')) continue;
    if (e.isDirectory()) {
      if (recursive && !skip.has(p)) walk(p, recursive, skip, out);
    } else if (e.isFile() && IMAGE_EXTENSIONS.has(path.extname(e.name).toLowerCase())) out.push(p);
  }
}

/** FNV-1a (32 bit) of the UTF-8 bytes: the same shard on every machine and Node version. */
export function pathHash(rel: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(rel, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export const shardOf = (rel: string, n: number) => (pathHash(rel) % n) + 1;

/** Stems shared within a folder keep their extension in output names (a.jpg and a.png never collide). */
function outBases(images: { root: string; rel: string }[]): string[] {
  const key = (i: { root: string; rel: string }) => `${i.root}\0${i.rel.replace(/\.[^./]*$/, '')}`;
  const count = new Map<string, number>();
  for (const i of images) count.set(key(i), (count.get(key(i)) ?? 0) + 1);
  return images.map((i) => (count.get(key(i))! > 1 ? i.rel : i.rel.replace(/\.[^./]*$/, '')));
}

export interface CollectOptions {
  recursive: boolean;
  gt: string;
  /** The output folder: never read as input. */
  out: string;
  shard?: { k: number; n: number };
}

/** Every image of the run, in a stable order; ground-truth files found for one image are not inputs. */
export function collectImages(inputs: string[], o: CollectOptions): InputImage[] {
  const found: { file: string; root: string; rel: string }[] = [];
  for (const input of inputs) {
    const st = fs.statSync(input, { throwIfNoEntry: false });
    if (!st) throw new UsageError(`no such file or folder: ${input}`);
    if (st.isDirectory()) {
      const files: string[] = [];
      walk(input, o.recursive, new Set([path.resolve(o.out)]), files);
      for (const f of files) found.push({ file: f, root: input, rel: slash(path.relative(input, f)) });
    } else found.push({ file: input, root: path.dirname(input), rel: path.basename(input) });
  }
  const withGt = found.map((f) => ({ ...f, gt: findGroundTruth(f.file, f.root, o.gt) }));
  const gtFiles = new Set(withGt.map((f) => f.gt).filter((g): g is string => !!g));
  const seen = new Set<string>();
  const images = withGt.filter((f) => !gtFiles.has(f.file) && !seen.has(f.file) && seen.add(f.file));
  const bases = outBases(images);
  const result = images.map((f, i) => ({ ...f, outBase: bases[i] }));
  const byBase = new Map<string, InputImage>();
  for (const r of result) {
    const other = byBase.get(r.outBase);
    if (other) throw new UsageError(`${other.file} and ${r.file} would write the same outputs (${r.outBase}.*): give them in separate runs or as one folder`);
    byBase.set(r.outBase, r);
  }
  return o.shard ? result.filter((r) => shardOf(r.rel, o.shard!.n) === o.shard!.k) : result;
}
