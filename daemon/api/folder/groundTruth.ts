// Where an image's ground truth is: a naming rule (the setting `seglens.groundTruth`, the CLI's
// `--gt`), `auto` (common dataset layouts, in order) or `none`. Shared by the CLI and the
// extension so both find the same files.
import * as fs from 'node:fs';
import * as path from 'node:path';

export type GroundTruthRule = 'auto' | 'none' | string;

/** Folders beside the image's folder that hold `{stem}.png` (images/ + masks/, VOC's SegmentationClass/). */
export const AUTO_FOLDERS = ['masks', 'labels', 'annotations', 'SegmentationClass'] as const;

/**
 * Expands a template over the image path: {dir} the image's folder, {stem} its name without
 * extension, {name} with extension, {rel} its path relative to the input root without
 * extension, {root} the input root. A relative result is taken relative to the input root.
 */
export function expandRule(rule: string, image: string, root: string): string {
  const dir = path.dirname(image);
  const name = path.basename(image);
  const stem = name.replace(/\.[^.]*$/, '');
  const relNoExt = path.relative(root, image).replace(/\.[^./\\]*$/, '');
  const vars: Record<string, string> = { dir, stem, name, rel: relNoExt, root };
  const out = rule.replace(/\{(dir|stem|name|rel|root)\}/g, (_, k: string) => vars[k]);
  return path.resolve(root, out);
}

/** Cityscapes: leftImg8bit/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png → gtFine/…/…_gtFine_labelIds.png. */
export function cityscapesCandidate(image: string): string | undefined {
  const parts = image.split(/[\\/]/);
  const at = parts.lastIndexOf('leftImg8bit');
  const m = /^(.+)_leftImg8bit\.[^.]+$/.exec(parts[parts.length - 1]);
  if (at < 0 || at === parts.length - 1 || !m) return undefined;
  const out = [...parts];
  out[at] = 'gtFine';
  out[out.length - 1] = `${m[1]}_gtFine_labelIds.png`;
  return out.join(path.sep);
}

/** The paths the rule looks at, in order (`none`: none). */
export function groundTruthCandidates(image: string, root: string, rule: GroundTruthRule): string[] {
  if (rule === 'none') return [];
  if (rule !== 'auto') return [expandRule(rule, image, root)];
  const dir = path.dirname(image);
  const stem = path.basename(image).replace(/\.[^.]*$/, '');
  const out = AUTO_FOLDERS.map((f) => path.join(dir, '..', f, `${stem}.png`));
  out.push(path.join(dir, `${stem}_mask.png`), path.join(dir, `${stem}.mask.png`));
  const cs = cityscapesCandidate(image);
  if (cs) out.push(cs);
  // An image is never its own ground truth (a mask folder given as input, say).
  return out.map((p) => path.resolve(p)).filter((p) => p !== path.resolve(image));
}

const isFile = (p: string) => fs.statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;

/** The first candidate that is a file, or undefined. */
export function findGroundTruth(image: string, root: string, rule: GroundTruthRule, exists: (p: string) => boolean = isFile): string | undefined {
  return groundTruthCandidates(image, root, rule).find(exists);
}

/** Checks a rule given by a user: `auto`, `none`, or a template with known placeholders. */
export function checkRule(rule: string): string | undefined {
  if (rule === 'auto' || rule === 'none') return undefined;
  if (rule.trim() === '') return 'the ground-truth rule is empty';
  const unknown = [...rule.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]).filter((k) => !['dir', 'stem', 'name', 'rel', 'root'].includes(k));
  if (unknown.length) return `unknown placeholder {${unknown[0]}} in the ground-truth rule (use {dir} {stem} {name} {rel} {root})`;
  if (!/\{(stem|name|rel)\}/.test(rule)) return 'the ground-truth rule must contain {stem}, {name} or {rel}, or every image would share one file';
  return undefined;
}
