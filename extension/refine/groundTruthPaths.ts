// Where the refine editor saves an image's ground truth, and which image a mask PNG belongs
// to: the rules of seglens.groundTruth (daemon/api/folder/groundTruth.ts, as the gallery and the
// CLI read them), forwards and backwards.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { checkRule, expandRule, groundTruthCandidates } from '../../daemon/api/folder/groundTruth';
import { IMAGE_EXTENSIONS, isImage } from '../preview/imageFiles';

function rule(): string {
  const r = vscode.workspace.getConfiguration('seglens').get<string>('groundTruth') || 'auto';
  return checkRule(r) ? 'none' : r;
}

/** The folder rules like {rel} and {root} are taken from: the image's workspace folder, else its own folder. */
function rootOf(image: string): string {
  return vscode.workspace.getWorkspaceFolder(vscode.Uri.file(image))?.uri.fsPath ?? path.dirname(image);
}

const isDir = (p: string) => fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;

/**
 * Where `image`'s ground truth goes without asking: the rule's file (a template), or with `auto`
 * the existing ground truth, else `masks/<stem>.png` when there is a masks/ folder beside the
 * image's folder. Undefined: the user is asked.
 */
export function groundTruthTarget(image: string): string | undefined {
  const r = rule();
  if (r === 'none') return undefined;
  const root = rootOf(image);
  if (r !== 'auto') return expandRule(r, image, root);
  const existing = groundTruthCandidates(image, root, 'auto').find((p) => fs.existsSync(p));
  if (existing) return existing;
  const masks = path.join(path.dirname(image), '..', 'masks');
  return isDir(masks) ? path.resolve(masks, `${path.basename(image).replace(/\.[^.]*$/, '')}.png`) : undefined;
}

/** The stems an image of `mask` may have: the mask's own, and without a _mask/.mask/_gtFine_labelIds suffix. */
function stems(mask: string): string[] {
  const stem = path.basename(mask).replace(/\.[^.]*$/, '');
  const out = [stem];
  for (const re of [/_mask$/, /\.mask$/, /_gtFine_labelIds$/]) if (re.test(stem)) out.push(stem.replace(re, re.source.includes('gtFine') ? '_leftImg8bit' : ''));
  return out;
}

/**
 * The image whose ground truth `mask` is, by the rule run backwards: an image of the workspace
 * (of a likely stem) whose ground-truth candidates include `mask`. Undefined: `mask` is no one's.
 */
export async function imageOfMask(mask: vscode.Uri): Promise<vscode.Uri | undefined> {
  if (mask.scheme !== 'file' || !isImage(mask)) return undefined;
  const r = rule();
  if (r === 'none') return undefined;
  // `auto` names only PNG masks: any other image is nobody's, and opening it in the editor need
  // not wait for a workspace-wide file search (seconds on a busy machine, before any pixel shows).
  if (r === 'auto' && path.extname(mask.fsPath).toLowerCase() !== '.png') return undefined;
  const target = path.resolve(mask.fsPath);
  const belongs = (img: string) => img !== target && groundTruthCandidates(img, rootOf(img), r).includes(target);
  // The folders `auto` pairs with a mask (its own, its parent's other folders) first, then the workspace.
  const maskDir = path.dirname(target);
  const parent = path.dirname(maskDir);
  const dirs = [maskDir, ...fs.readdirSync(parent, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(parent, e.name))];
  for (const d of dirs) {
    for (const s of stems(target)) {
      const hit = IMAGE_EXTENSIONS.map((ext) => path.join(d, `${s}.${ext}`)).find((p) => fs.existsSync(p) && belongs(p));
      if (hit) return vscode.Uri.file(hit);
    }
  }
  const found = await vscode.workspace.findFiles(`**/{${stems(target).join(',')}}.{${IMAGE_EXTENSIONS.join(',')}}`, '**/{node_modules,.git}/**', 200);
  return found.find((img) => belongs(img.fsPath));
}
