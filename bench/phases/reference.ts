// The reference, @imgly/background-removal-node (P4's denominator), in a child process; mask
// agreement between its output and SegLens'.
import { fork, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { progress, REFERENCE_DIR, REFERENCE_PKG } from '../settings';
import type { Figure } from '../report';
import { gb, median, now, r1, r3, summary } from '../stats';
import type { SteadyResult } from './steady';

// ---- reference (P4 denominator)

export interface ReferenceResult {
  requireMs: number;
  coldMs: number;
  samples: { run: number; photo: string; ms: number }[];
  peakRssBytes: number;
  outputType: string;
  outputs: Record<string, string>;
  versions: Record<string, string>;
  config: Record<string, string>;
}

export function ensureReferenceInstalled(): { installed: 'present' | 'npm ci'; ms: number } {
  const t = now();
  if (fs.existsSync(path.join(REFERENCE_DIR, 'node_modules', REFERENCE_PKG, 'package.json'))) return { installed: 'present', ms: 0 };
  progress(`reference: installing ${REFERENCE_PKG} in bench/reference with npm ci (pinned by its package-lock.json)`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // onnxruntime-node's install script would fetch CUDA binaries from outside npm: skipped, as in the project.
  const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' };
  const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: REFERENCE_DIR, stdio: ['ignore', 2, 2], shell: process.platform === 'win32', env });
  if (r.status !== 0) throw new Error(`npm ci in ${REFERENCE_DIR} failed (exit ${r.status})`);
  return { installed: 'npm ci', ms: now() - t };
}

export function runReference(list: string[], runs: number): Promise<ReferenceResult> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(REFERENCE_DIR, 'run.cjs'), [JSON.stringify({ photos: list, runs })], {
      cwd: REFERENCE_DIR,
      execArgv: [],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let result: ReferenceResult | undefined;
    let error: string | undefined;
    child.on('message', (m: { type: string; message?: string } & Partial<ReferenceResult>) => {
      if (m.type === 'progress') progress(m.message ?? '');
      else if (m.type === 'result') result = m as unknown as ReferenceResult;
      else if (m.type === 'error') error = m.message;
    });
    child.on('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(`reference run failed (exit ${code}): ${error ?? 'no result'}`));
    });
  });
}


// ---- mask agreement (sanity: the reference and SegLens segment the same thing)

export async function alphaOf(pngBase64: string, channel: 'alpha' | 'grey'): Promise<{ data: Buffer; w: number; h: number }> {
  const img = sharp(Buffer.from(pngBase64, 'base64'));
  const pipeline = channel === 'alpha' ? img.ensureAlpha().extractChannel(3) : img.toColourspace('b-w').extractChannel(0);
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data, w: info.width, h: info.height };
}

export async function maskIoU(refPng: string, segPng: string): Promise<number | null> {
  const a = await alphaOf(refPng, 'alpha');
  const b = await alphaOf(segPng, 'grey');
  if (a.w !== b.w || a.h !== b.h) return null;
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i] >= 128;
    const y = b.data[i] >= 128;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : r3(inter / union);
}


/** P4 from the two reference halves and the steady loop's accurate requests. */
export async function p4Figure(
  refHalves: ReferenceResult[],
  steady: SteadyResult,
  list: string[],
  extra: { referenceInstall: unknown; referenceLoad: number[] },
): Promise<Figure> {
  const samples = refHalves.flatMap((h, i) => h.samples.map((x) => ({ ...x, half: i })));
  const refMs = samples.map((x) => x.ms);
  const outputs = Object.assign({}, ...refHalves.map((h) => h.outputs)) as Record<string, string>;
  const ious: Record<string, number | null> = {};
  for (const p of list) {
    if (outputs[p] && steady.masks[p]) ious[path.basename(p)] = await maskIoU(outputs[p], steady.masks[p]);
  }
  const byPhoto: Record<string, { seglensMs: number; referenceMs: number }> = {};
  for (const p of list) {
    const b = path.basename(p);
    byPhoto[b] = { seglensMs: r1(median(steady.seglensAccurateByPhoto[b] ?? [])), referenceMs: r1(median(samples.filter((x) => x.photo === b).map((x) => x.ms))) };
  }
  const ref0 = refHalves[0];
  return {
    value: r3(median(steady.seglensAccurateMs) / median(refMs)),
    goal: '<= 0.6',
    detail: {
      measured:
        'numerator: client-side round trip of a warm SegLens accurate request (the steady loop of P3); denominator: one whole removeBackground(photoPath, config) call plus reading the result blob, after its first (model-loading) call, in a child process that ran alone (no daemon), half of the runs just before the SegLens loop and half just after it; same photos, same number of runs in all',
      seglensAccurateMs: summary(steady.seglensAccurateMs),
      referenceMs: summary(refMs),
      referenceMsPerHalf: refHalves.map((h) => summary(h.samples.map((x) => x.ms))),
      byPhoto,
      firstCall: {
        measured: `the reference's first call in each of its processes (reads the model, creates the session, runs) vs SegLens' first accurate preview on a fresh daemon (ensureReady, which loads and runs the mode's warm-up, then segment), on ${path.basename(list[0])}`,
        referenceMs: refHalves.map((h) => r1(h.coldMs)),
        seglensMs: r1(steady.firstAccurateMs),
      },
      referenceRequireMs: r1(ref0.requireMs),
      referencePeakRssGB: gb(Math.max(...refHalves.map((h) => h.peakRssBytes))),
      referenceOutput: ref0.outputType,
      referenceConfig: ref0.config,
      referenceVersions: ref0.versions,
      referenceInstall: extra.referenceInstall,
      overridden: {
        sharp: '~0.32.4 (declared by @imgly/background-removal-node 1.4.5) -> 0.35.5 (the project\'s), via "overrides" in bench/reference/package.json',
        'onnxruntime-node': '~1.17.0 (declared) -> 1.30.0 (the project\'s), via "overrides"; its install script is skipped (ONNXRUNTIME_NODE_INSTALL=skip), as in the project',
        code: 'none: the package runs unmodified with these versions',
      },
      referenceSessionOptions: "its own: graphOptimizationLevel 'all', executionMode 'parallel', other options ONNX Runtime's defaults",
      maskIoUAtHalf: ious,
      maskNote: 'IoU of the masks thresholded at 128 (reference alpha vs SegLens accurate mask)',
      loadAverage1mWhenReferenceHalvesDone: extra.referenceLoad,
      loadAverage1mWhenSeglensDone: steady.p3.detail.loadAverage1mWhenDone,
    },
  };
}
