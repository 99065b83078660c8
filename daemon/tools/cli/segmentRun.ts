// `seglens segment`: every image through the daemon (two requests in flight, so writing one
// image's outputs overlaps the next inference), outputs written atomically, ground truth
// scored by the daemon (`seglens/score`), one report and one coco.json per run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import { DaemonClient } from '../../api/client';
import { CocoBuilder } from '../../api/exports/coco';
import { ExportFormat, alphaThreshold, maskKind, renderExports } from '../../api/exports/render';
import { round1 } from '../../api/numbers';
import { ErrorCodes, ModeInfo, Score, ScoreResult, SegmentResult } from '../../api/protocol';
import { Report, ReportBuilder, ReportImage, reportText } from '../../api/folder/report';
import { version } from '../../../package.json';
import { SegmentRunOptions, UsageError } from './args';
import { connectOrSpawn } from './connect';
import { InputImage, collectImages } from './inputs';
import { OUTPUT_EXISTS, OUTPUT_UNSAFE, exists, refusalCode, writeOutput } from './outputs';
import { Progress } from './progress';
import { shown } from './terminal';
import { InstanceRun } from '../../api/coco/instanceRun';
import { instanceFiles, instanceParams, instanceRunFor, instanceSummaryText } from './instanceOutputs';
import { withInstanceFields } from '../../api/coco/instanceReport';

const IN_FLIGHT = 2;

interface Run {
  o: SegmentRunOptions;
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
function targets(o: SegmentRunOptions, img: InputImage): [string, string][] {
  return o.formats.filter((f) => f !== 'coco' && f !== 'coco-results').map((f) => [f, path.join(o.out, ...`${img.outBase}.${f}.png`.split('/'))]);
}

/** The outputs refused: existing files (checked before, or appeared since) and the reasons of unsafe paths. */
interface Refused {
  existing: string[];
  unsafe: string[];
}

/** Writes each output; a refused one is counted in `refused` and the others are still written. */
async function writeOutputs(run: Run, img: InputImage, index: number, r: SegmentResult, files: [string, string][], refused: Refused): Promise<void> {
  const { o, mode } = run;
  const wanted = files.map(([f]) => f as ExportFormat);
  const { files: rendered, pixels } = await renderExports(run.coco ? [...wanted, 'coco'] : wanted, r, maskKind(mode.task), img.file, o.threshold);
  const where = new Map(files);
  for (const [format, data] of rendered) {
    const file = where.get(format)!;
    try {
      await writeOutput(file, data, o.out, o.overwrite);
    } catch (e) {
      const code = refusalCode(e);
      if (code === undefined) throw e;
      if (code === OUTPUT_EXISTS) refused.existing.push(file);
      else refused.unsafe.push((e as Error).message);
    }
  }
  run.coco?.add(index, img.rel, pixels!, r.width, r.height);
  run.instances?.add(index, img.rel, r.width, r.height, r.instances ?? []);
}

const shortPath = (f: string) => path.relative(process.cwd(), f) || f;

/** The image's error for its refused outputs, if any (an unsafe path first: it is the one to act on). */
function refusalError(refused: Refused): ReportImage['error'] {
  const existing = refused.existing.length ? `refused to overwrite ${refused.existing.map(shortPath).join(', ')} (use --overwrite)` : undefined;
  if (refused.unsafe.length) return { code: OUTPUT_UNSAFE, message: [...refused.unsafe, ...(existing ? [existing] : [])].join('; ') };
  return existing ? { code: OUTPUT_EXISTS, message: existing } : undefined;
}

/** One image: segment, score against ground truth, write the outputs that do not exist yet (all with --overwrite). */
async function processImage(run: Run, img: InputImage, index: number): Promise<{ entry: ReportImage; score?: ScoreResult } | undefined> {
  const { o, client } = run;
  const entry: ReportImage = { path: img.rel, width: 0, height: 0, ms: 0 };
  if (img.gt) entry.gt = slash(path.relative(img.root, img.gt));
  const all = targets(o, img);
  // Checked now to spare an inference; the write checks again (a file may appear meanwhile).
  const present = o.overwrite ? [] : all.filter(([, f]) => exists(f));
  const files = all.filter((t) => !present.includes(t));
  const refused: Refused = { existing: present.map(([, f]) => f), unsafe: [] };
  // Nothing to write, score or collect: the image is not run again.
  if (present.length && !files.length && !img.gt && !run.coco && !run.instances) return { entry: { ...entry, error: refusalError(refused) } };
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
  Object.assign(entry, { width: r.width, height: r.height, ms: round1(ms) });
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
  await writeOutputs(run, img, index, r, files, refused);
  entry.error ??= refusalError(refused);
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
function runFiles(o: SegmentRunOptions): string[] {
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
  for (const c of s.classes ?? []) if (typeof c.iou === 'number') process.stdout.write(`  ${shown(c.name).padEnd(20)} IoU ${c.iou.toFixed(4)}\n`);
  process.stdout.write(instanceSummaryText(s).split('\n').map(shown).join('\n'));
  for (const e of rep.images.filter((i) => i.error)) process.stderr.write(`  failed: ${shown(e.path)}: ${shown(e.error!.message)}\n`);
}

/** Writes coco.json, the instance files and the report; each one refused (appeared since the start, a link on the way) is said; false then. */
async function writeRunFiles(run: Run, rep: Report): Promise<boolean> {
  const { o } = run;
  const files: [string, string, () => string][] = [];
  if (run.coco) files.push([path.join(o.out, 'coco.json'), o.out, () => JSON.stringify(run.coco!.toJSON(version))]);
  if (run.instances) for (const [file, text] of instanceFiles(o, run.instances, version)) files.push([file, o.out, () => text]);
  if (o.report) files.push([o.report, path.dirname(o.report), () => reportText(rep, o.report!)]);
  let ok = true;
  for (const [file, root, text] of files) {
    try {
      await writeOutput(file, text(), root, o.overwrite);
    } catch (e) {
      if (refusalCode(e) === undefined) throw e;
      process.stderr.write(`seglens: not written: ${shown((e as Error).message)}${refusalCode(e) === OUTPUT_EXISTS ? ' (use --overwrite)' : ''}\n`);
      ok = false;
    }
  }
  return ok;
}

/** Returns the exit code; usage errors are thrown as UsageError. */
export async function runSegment(o: SegmentRunOptions, cancel: CancellationTokenSource): Promise<number> {
  const images = collectImages(o.inputs, { recursive: o.recursive, include: o.include, exclude: o.exclude, gt: o.gt, out: o.out, shard: o.shard });
  const blocked = o.overwrite ? [] : runFiles(o).filter(exists);
  for (const f of blocked) process.stderr.write(`seglens: refusing to overwrite ${shown(f)} (use --overwrite)\n`);
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
    const written = await writeRunFiles(run, rep);
    printSummary(rep, shared);
    return rep.summary.failed > 0 || !written ? 1 : 0;
  } finally {
    client.dispose();
  }
}
