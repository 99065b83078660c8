// Which images a run takes: the files given, and the images in the folders given (recursive
// by default), each with its input root; outputs named after the path relative to that root;
// `--shard K/N` by a stable hash of that relative path.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FolderImage, listFolderImages, outBases, withGroundTruth } from '../../api/folder/folderImages';
import { UsageError } from './args';

export interface InputImage extends FolderImage {
  /** Output base: rel without extension (or with it, when two images in a folder share a stem). */
  outBase: string;
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

export interface CollectOptions {
  recursive: boolean;
  /** Globs over a folder's relative paths (files named on the command line are taken as they are). */
  include?: string[];
  exclude?: string[];
  gt: string;
  /** The output folder: never read as input. */
  out: string;
  shard?: { k: number; n: number };
}

/** Every image of the run, in a stable order; ground-truth files found for one image are not inputs. */
export function collectImages(inputs: string[], o: CollectOptions): InputImage[] {
  const found: FolderImage[] = [];
  for (const input of inputs) {
    const st = fs.statSync(input, { throwIfNoEntry: false });
    if (!st) throw new UsageError(`no such file or folder: ${input}`);
    if (st.isDirectory()) found.push(...listFolderImages(input, { recursive: o.recursive, skip: new Set([path.resolve(o.out)]), include: o.include, exclude: o.exclude }));
    else found.push({ file: input, root: path.dirname(input), rel: path.basename(input) });
  }
  const images = withGroundTruth(found, o.gt);
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
