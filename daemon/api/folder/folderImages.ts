// The images of a folder, as both the CLI (`seglens segment <folder>`) and the VS Code gallery
// (`SegLens: Segment Folder…`) take them: image files by extension, hidden entries skipped,
// sorted by name, recursive by default, with optional include/exclude globs over the path
// relative to the folder; the files found as another image's ground truth are not inputs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Glob } from './glob';
import { GroundTruthRule, findGroundTruth } from './groundTruth';

/** Every image extension SegLens opens (the one list: the extension and package.json's when-clauses follow it, test/unit/imageExtensions.test.ts). */
export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp', '.tif', '.tiff', '.avif']);

export interface FolderImage {
  /** Absolute path. */
  file: string;
  /** The input root it was found under. */
  root: string;
  /** Relative to root, '/' separators. */
  rel: string;
  /** Absolute ground-truth path, when one was found. */
  gt?: string;
}

export interface ListOptions {
  recursive: boolean;
  /** Folders never entered (an output folder inside the input). */
  skip?: ReadonlySet<string>;
  /** Globs over the relative path ('/' separators): `**`, `*`, `?`, `{a,b}` (glob.ts). Empty: every image. A malformed one throws GlobError: check them first (checkGlob). */
  include?: readonly string[];
  exclude?: readonly string[];
}

const slash = (p: string) => p.split(path.sep).join('/');
const byName = (a: fs.Dirent, b: fs.Dirent) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function walk(dir: string, recursive: boolean, skip: ReadonlySet<string>, out: string[]): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort(byName)) {
    const p = path.join(dir, e.name);
    if (e.name.startsWith('.')) continue;
    if (e.isDirectory()) {
      if (recursive && !skip.has(p)) walk(p, recursive, skip, out);
    } else if (e.isFile() && IMAGE_EXTENSIONS.has(path.extname(e.name).toLowerCase())) out.push(p);
  }
}

/** The images under `root` (a folder), in a stable order. */
export function listFolderImages(root: string, o: ListOptions): FolderImage[] {
  const files: string[] = [];
  walk(root, o.recursive, o.skip ?? new Set(), files);
  const inc = (o.include ?? []).filter(Boolean).map((g) => new Glob(g));
  const exc = (o.exclude ?? []).filter(Boolean).map((g) => new Glob(g));
  return files
    .map((file) => ({ file, root, rel: slash(path.relative(root, file)) }))
    .filter((f) => (inc.length === 0 || inc.some((g) => g.matches(f.rel))) && !exc.some((g) => g.matches(f.rel)));
}

/** Each image with its ground truth under `rule`; images that are another's ground truth, and repeats, dropped. */
export function withGroundTruth<T extends FolderImage>(found: T[], rule: GroundTruthRule, exists?: (p: string) => boolean): T[] {
  const withGt = found.map((f) => ({ ...f, gt: findGroundTruth(f.file, f.root, rule, exists) }));
  const gtFiles = new Set(withGt.map((f) => f.gt).filter((g): g is string => !!g));
  const seen = new Set<string>();
  return withGt.filter((f) => !gtFiles.has(f.file) && !seen.has(f.file) && seen.add(f.file));
}

/** Stems shared within a folder keep their extension in output names (a.jpg and a.png never collide). */
export function outBases(images: { root: string; rel: string }[]): string[] {
  const key = (i: { root: string; rel: string }) => `${i.root}\0${i.rel.replace(/\.[^./]*$/, '')}`;
  const count = new Map<string, number>();
  for (const i of images) count.set(key(i), (count.get(key(i)) ?? 0) + 1);
  return images.map((i) => (count.get(key(i))! > 1 ? i.rel : i.rel.replace(/\.[^./]*$/, '')));
}
