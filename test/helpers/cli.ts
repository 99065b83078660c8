// Runs the `seglens` CLI (dist/seglens.js) as a user would, with its environment pinned to the
// test's folders (the shared daemon's socket, a private cache).
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { repoRoot } from './repo';

export const seglensJs = path.join(repoRoot, 'dist', 'seglens.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], env: Record<string, string>, cwd?: string): { child: ChildProcess; result: Promise<CliResult>; stdout: () => string } {
  const child = spawn(process.execPath, [seglensJs, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const result = new Promise<CliResult>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return { child, result, stdout: () => stdout };
}

export const runCli = (args: string[], env: Record<string, string>, cwd?: string) => startCli(args, env, cwd).result;

/** Every file under `dir`, relative, '/' separators, sorted. */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p).split(path.sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** Raw pixels of a PNG: data, width, height, channels. */
export async function pixels(file: string | Buffer): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  // sharp writes raw pixels as sRGB unless told otherwise: a grey PNG is read as its one channel.
  const grey = (await sharp(file).metadata()).channels === 1;
  const { data, info } = await (grey ? sharp(file).extractChannel(0) : sharp(file)).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** IoU and Dice of two foreground flag arrays, counted here (independently of the daemon). */
export function iouDice(pred: ArrayLike<number>, gt: ArrayLike<number>): { iou: number; dice: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < pred.length; i++) {
    if (pred[i] && gt[i]) tp++;
    else if (pred[i]) fp++;
    else if (gt[i]) fn++;
  }
  const u = tp + fp + fn;
  return { iou: u ? tp / u : 1, dice: u ? (2 * tp) / (2 * tp + fp + fn) : 1 };
}
