// `seglens segment`: every image through the daemon (two requests in flight, so writing one
// image's outputs overlaps the next inference), outputs written atomically, ground truth
// scored by the daemon (`seglens/score`), one report and one coco.json per run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import { DaemonClient } from '../../api/client';
import { CocoBuilder } from '../../api/exports/coco';
import { ExportFormat, alphaThreshold, maskKind, renderExports } from '../../api/exports/render';
import { ErrorCodes, ModeInfo, Score, ScoreResult, SegmentResult } from '../../api/protocol';
import { Report, ReportBuilder, ReportImage, reportText } from '../../api/folder/report';
import { version } from '../../../package.json';
import { SegmentOptions, UsageError } from './args';
import { connectOrSpawn } from './connect';
import { InputImage, collectImages } from './inputs';
import { exists, writeAtomic } from './outputs';
import { Progress } from './progress';
import { InstanceRun } from '../../api/coco/instanceRun';
import { instanceFiles, instanceParams, instanceRunFor, instanceSummaryText, withInstanceFields } from './instanceOutputs';

/** Report error code of an image whose outputs exist (not a protocol code: the CLI refused). */
export const OUTPUT_EXISTS = 2001;
const IN_FLIGHT = 2;

interface Run {
  o: SegmentOptions;
  client: DaemonClient;
  mode: ModeInfo;
  coco?: CocoBuilder;
  /** Instance modes (issue 24): instances for coco.json, coco-results.json and AP. */
  instances?: InstanceRun;
  report: ReportBuilder;
  cancel: CancellationTokenSource;
}

const slash = (p: string) => p.split(path.sep).join('/');
const errorOf = (e: unknown) => ({ code: e instanceof ResponseError ? e.code : ErrorCodes.InternalError, message: e instanceof Error ? e.message : String(e) });

/** The PNG outputs of one image, by format. */
function targets(o: SegmentOptions, img: InputImage): [string, string][] {
  return o.formats.filter((f) => f !== 'coco' && f !== 'coco-results').map((f) => [f, path.join(o.out, ...`${img.outBase}.${f}.png`.split('/'))]);
}

async function writeOutputs(run: Run, img: InputImage, index: number, r: SegmentResult, files: [string, string][]): Promise<void> {
  const { o, mode } = run;
  const wanted = files.map(([f]) => f as ExportFormat);
  const { files: rendered, pixels } = await renderExports(run.coco ? [...wanted, 'coco'] : wanted, r, maskKind(mode.task), img.file, o.threshold);
  const where = new Map(files);
  for (const [format, data] of rendered) await writeAtomic(where.get(format)!, data);
  run.coco?.add(index, img.rel, pixels!, r.width, r.height);
  run.instances?.add(index, img.rel, r.width, r.height, r.instances ?? []);
}

/** One image: segment, score against ground truth, write the outputs that do not exist yet (all with --overwrite). */
async function processImage(run: Run, img: InputImage, index: number): Promise<{ entry: ReportImage; score?: ScoreResult } | undefined> {
  const { o, client } = run;
  const entry: ReportImage = { path: img.rel, width: 0, height: 0, ms: 0 };
  if (img.gt) entry.gt = slash(path.relative(img.root, img.gt));
  const all = targets(o, img);
  const refused = o.overwrite ? [] : all.filter(([, f]) => exists(f));
  const files = all.filter((t) => !refused.includes(t));
  const refusal = refused.length ? { code: OUTPUT_EXISTS, message: `refused to overwrite ${refused.map(([, f]) => path.relative(process.cwd(), f) || f).join(', ')} (use --overwrite)` } : undefined;
  // Nothing to write, score or collect: the image is not run again.
  if (refusal && !files.length && !img.gt && !run.coco && !run.instances) return { entry: { ...entry, error: refusal } };
  let r: SegmentResult;
  try {
    r = await client.segment({ mode: o.mode, image: { path: img.file }, ...instanceParams(run.instances, run.mode) }, run.cancel.token);
  } catch (e) {
    if (run.cancel.token.isCancellationRequested) return undefined;
    return { entry: { ...entry, error: errorOf(e) } };
  }
  // Stopping: an answer that arrives after Ctrl-C starts no new writing (the other image in flight may be writing; it finishes).
  if (run.cancel.token.isCancellationRequested) return undefined;
  // The image's own work (decode, pre, inference, post): not the time it waited in the queue or for a warm-up.
  const t = r.timings;
  const ms = t.decodeMs + t.preprocessMs + t.inferenceMs + t.postprocessMs;
  Object.assign(entry, { width: r.width, height: r.height, ms: Math.round(ms * 10) / 10 });
  let score: ScoreResult | undefined;
  if (img.gt) {
    try {
      score = await client.request(Score, { mode: o.mode, prediction: { base64: r.maskPng }, groundTruth: { path: img.gt } }, run.cancel.token);
    } catch (e) {
      if (run.cancel.token.isCancellationRequested) return undefined;
      entry.error = errorOf(e);
    }
  }
  // Outputs being written when the stop comes are finished: they are whole.
  await writeOutputs(run, img, index, r, files);
  if (refusal && !entry.error) entry.error = refusal;
  return { entry, score };
}

async function runAll(run: Run, images: InputImage[], progress: Progress): Promise<number> {
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (!run.cancel.token.isCancellationRequested && next < images.length) {
      const index = next++;
      const img = images[index];
      let out: Awaited<ReturnType<typeof processImage>>;
      try {
        out = await processImage(run, img, index);
      } catch (e) {
        out = { entry: { path: img.rel, width: 0, height: 0, ms: 0, error: errorOf(e) } };
      }
      if (!out) return;
      run.report.add(out.entry, out.score);
      done++;
      const e = out.entry;
      const detail = e.error ? `${e.error.code}: ${e.error.message}` : `${e.ms} ms${e.iou !== undefined ? `  IoU ${e.iou.toFixed(3)}` : ''}`;
      progress.step({ rel: img.rel, ok: !e.error, detail });
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, images.length) }, worker));
  return done;
}

/** Run-level files (report, coco.json) are checked before anything runs. */
function runFiles(o: SegmentOptions): string[] {
  const files = o.formats.includes('coco') ? [path.join(o.out, 'coco.json')] : [];
  if (o.formats.includes('coco-results')) files.push(path.join(o.out, 'coco-results.json'));
  if (o.report) files.push(o.report);
  return files;
}

async function defineModels(client: DaemonClient, file: string): Promise<ModeInfo[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--models ${file}: ${(e as Error).message}`);
  }
  const modes = Array.isArray(raw) ? raw : (raw as { modes?: unknown }).modes;
  if (!Array.isArray(modes)) throw new UsageError(`--models ${file}: expected a JSON array of modes or {"modes": [...]}`);
  const r = await client.defineModes({ modes, baseDir: path.dirname(file) });
  if (r.errors.length) throw new UsageError(`--models ${file}: ${r.errors.map((e) => `${e.id || `#${e.index + 1}`}: ${e.field}: ${e.message}`).join('; ')}`);
  return r.modes;
}

function printSummary(rep: Report, shared: boolean): void {
  const s = rep.summary;
  const parts = [`${s.images} image(s)`, `${s.failed} failed`, `${s.withGroundTruth} with ground truth`];
  if (s.meanIoU !== undefined) parts.push(`mean IoU ${s.meanIoU.toFixed(4)}`);
  process.stdout.write(`seglens: mode ${rep.mode}, ${parts.join(', ')} (${shared ? 'shared daemon' : 'own daemon'})\n`);
  for (const c of s.classes ?? []) if (typeof c.iou === 'number') process.stdout.write(`  ${c.name.padEnd(20)} IoU ${c.iou.toFixed(4)}\n`);
  process.stdout.write(instanceSummaryText(s));
  for (const e of rep.images.filter((i) => i.error)) process.stderr.write(`  failed: ${e.path}: ${e.error!.message}\n`);
}

async function writeRunFiles(run: Run, rep: Report): Promise<void> {
  if (run.coco) await writeAtomic(path.join(run.o.out, 'coco.json'), JSON.stringify(run.coco.toJSON(version)));
  if (run.instances) for (const [file, text] of instanceFiles(run.o, run.instances, version)) await writeAtomic(file, text);
  if (run.o.report) await writeAtomic(run.o.report, reportText(rep, run.o.report));
}

/** Returns the exit code; usage errors are thrown as UsageError. */
export async function runSegment(o: SegmentOptions, cancel: CancellationTokenSource): Promise<number> {
  const images = collectImages(o.inputs, { recursive: o.recursive, gt: o.gt, out: o.out, shard: o.shard });
  const blocked = o.overwrite ? [] : runFiles(o).filter(exists);
  for (const f of blocked) process.stderr.write(`seglens: refusing to overwrite ${f} (use --overwrite)\n`);
  if (blocked.length) return 1;
  const { client, shared } = await connectOrSpawn();
  try {
    const modes = [...(o.models ? await defineModels(client, o.models) : []), ...client.initializeResult!.modes];
    const mode = modes.find((m) => m.id === o.mode);
    if (!mode) throw new UsageError(`unknown mode '${o.mode}'; modes: ${modes.map((m) => m.id).join(', ')}`);
    const run: Run = { o, client, mode, report: new ReportBuilder(mode.id), cancel, instances: instanceRunFor(o, mode) };
    if (o.formats.includes('coco') && !run.instances) run.coco = new CocoBuilder(mode, alphaThreshold(o.threshold));
    const progress = new Progress(images.length);
    const done = await runAll(run, images, progress);
    progress.clear();
    if (cancel.token.isCancellationRequested) {
      process.stderr.write(`seglens: interrupted after ${done} of ${images.length} image(s); their outputs are complete; no report or coco.json written\n`);
      return 130;
    }
    const built = run.report.build();
    const rep = run.instances ? withInstanceFields(built, run.instances, new Map(images.map((img, i) => [img.rel, i]))) : built;
    await writeRunFiles(run, rep);
    printSummary(rep, shared);
    return rep.summary.failed > 0 ? 1 : 0;
  } finally {
    client.dispose();
  }
}
