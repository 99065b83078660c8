// The gallery's exports, written by the CLI's own code (daemon/api/folder/report.ts, exports/): the
// report as CSV and JSON side by side, and the folder's masks in the formats picked, named
// `<out>/<path without extension>.<format>.png` (+ `coco.json`). Never over an existing file
// without a dialog naming it, never through a link (exportFiles.ts).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CocoBuilder } from '../../daemon/api/exports/coco';
import { EXPORT_FORMATS, ExportFormat, alphaThreshold, maskKind, renderExports } from '../../daemon/api/exports/render';
import { FolderImage, outBases } from '../../daemon/api/folder/folderImages';
import { Report, reportText } from '../../daemon/api/folder/report';
import type { ImageOutcome } from './folderRun';
import { ExportWriter, askedByDialog, exportWriter, replaceQuestion, reportFiles, toAsk } from './exportFiles';
import type { GalleryDeps } from './galleryDeps';
import type { InstanceFolder } from './instanceFolder';

const THRESHOLD = 0.5;

/** Asks before replacing `existing` files (none: no question); true to go on. */
async function mayReplace(existing: string[]): Promise<boolean> {
  if (existing.length === 0) return true;
  const choice = await vscode.window.showWarningMessage(replaceQuestion(existing), { modal: true }, 'Overwrite');
  return choice === 'Overwrite';
}

/** Says which files were not written, and why (a file appeared since the question, a link on the way). */
function reportRefused(w: ExportWriter, log: vscode.LogOutputChannel): void {
  if (w.refused.length === 0) return;
  for (const r of w.refused) log.warn(`gallery: not written: ${r}`);
  void vscode.window.showWarningMessage(`SegLens: ${w.refused.length} file(s) not written: ${w.refused[0]}${w.refused.length > 1 ? ' (and more: see the log)' : ''}`);
}

/** Writes `<name>.csv` and `<name>.json` (the CLI's report) where the user says; the CSV's path. */
export async function exportReport(folder: vscode.Uri, report: Report, log: vscode.LogOutputChannel, target?: vscode.Uri): Promise<string | undefined> {
  const picked =
    target ??
    (await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(folder, 'seglens-report.csv'),
      filters: { 'CSV and JSON report': ['csv'] },
      title: 'SegLens: Export report (CSV, with a JSON beside it)',
    }));
  if (!picked) return undefined;
  const { csv, json } = reportFiles(picked.fsPath);
  // The save dialog asked about the name picked (when it exists); every other existing file is asked about here.
  const asked = target ? undefined : askedByDialog(picked.fsPath);
  const question = toAsk([csv, json], asked);
  if (!(await mayReplace(question))) return undefined;
  const w = exportWriter(path.dirname(csv), asked ? [...question, asked] : question);
  const written = [(await w.write(csv, reportText(report, csv))) && csv, (await w.write(json, reportText(report, json))) && json].filter((f): f is string => !!f);
  reportRefused(w, log);
  if (written.length === 0) return undefined;
  log.info(`gallery: report written to ${written.join(' and ')} (${report.images.length} images)`);
  void vscode.window.showInformationMessage(`SegLens: report written to ${written.map((f) => path.basename(f)).join(' and ')}`);
  return written.includes(csv) ? csv : undefined;
}

async function pickExport(folder: vscode.Uri): Promise<{ formats: ExportFormat[]; out: string } | undefined> {
  const picks = await vscode.window.showQuickPick(
    // coco-results is an instance mode's (exportInstances).
    EXPORT_FORMATS.filter((f) => f !== 'coco-results').map((f) => ({ label: f, picked: f === 'mask' })),
    { canPickMany: true, title: 'SegLens: Export masks — formats' },
  );
  if (!picks?.length) return undefined;
  const out = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, defaultUri: folder, openLabel: 'Export here', title: 'SegLens: Export masks — output folder' });
  if (!out?.[0]) return undefined;
  return { formats: picks.map((p) => p.label as ExportFormat), out: out[0].fsPath };
}

/** Every image with a result, re-read from the daemon's result cache (no inference), in the formats picked. */
export async function exportMasks(
  folder: vscode.Uri,
  images: FolderImage[],
  outcomes: readonly (ImageOutcome | undefined)[],
  mode: string,
  deps: GalleryDeps,
  chosen?: { formats: ExportFormat[]; out: string },
): Promise<number> {
  const pick = chosen ?? (await pickExport(folder));
  if (!pick) return 0;
  const bases = outBases(images);
  const done = images.map((_, i) => i).filter((i) => outcomes[i]?.entry && !outcomes[i]?.entry?.error);
  const pngs = pick.formats.filter((f) => f !== 'coco');
  const target = (i: number, f: string) => path.join(pick.out, ...`${bases[i]}.${f}.png`.split('/'));
  const files = done.flatMap((i) => pngs.map((f) => target(i, f)));
  if (pick.formats.includes('coco')) files.push(path.join(pick.out, 'coco.json'));
  const agreed = toAsk(files);
  if (!(await mayReplace(agreed))) return 0;
  const w = exportWriter(pick.out, agreed);
  const client = await deps.supervisor.ensureClient();
  const task = deps.store.info(mode)?.task ?? 'binary';
  const info = deps.store.info(mode);
  const coco = pick.formats.includes('coco') && info ? new CocoBuilder(info, alphaThreshold(THRESHOLD)) : undefined;
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'SegLens: exporting masks', cancellable: true }, async (progress, token) => {
    for (const [k, i] of done.entries()) {
      if (token.isCancellationRequested) break;
      const img = images[i];
      const r = await client.segment({ mode, image: { path: img.file }, cache: true, priority: 'batch' });
      const out = await renderExports(coco ? [...pngs, 'coco'] : pngs, r, maskKind(task), img.file, THRESHOLD);
      for (const [f, data] of out.files) await w.write(target(i, f), data);
      coco?.add(i, img.rel, out.pixels!, r.width, r.height);
      progress.report({ message: `${k + 1}/${done.length}`, increment: 100 / done.length });
    }
  });
  if (coco) await w.write(path.join(pick.out, 'coco.json'), JSON.stringify(coco.toJSON(deps.version)));
  reportRefused(w, deps.log);
  deps.log.info(`gallery: exported ${done.length} image(s) as ${pick.formats.join(', ')} to ${pick.out}`);
  return done.length;
}

/** Instance modes' exports: the two COCO files, named as the CLI names them. */
const INSTANCE_EXPORTS = [
  { format: 'coco', file: 'coco.json', detail: 'images, one annotation per instance with its score, categories' },
  { format: 'coco-results', file: 'coco-results.json', detail: "the list COCO's loadRes reads (compressed RLE, bbox, score)" },
] as const;

/** An instance mode's folder as coco.json and/or coco-results.json (from the run's results: no inference); the files written. */
export async function exportInstances(folder: vscode.Uri, instances: InstanceFolder, deps: GalleryDeps, chosen?: { formats: ExportFormat[]; out: string }): Promise<number> {
  const pick = chosen ?? (await pickInstanceExport(folder));
  if (!pick) return 0;
  const wanted = INSTANCE_EXPORTS.filter((e) => pick.formats.includes(e.format));
  const files = wanted.map((e) => path.join(pick.out, e.file));
  const agreed = toAsk(files);
  if (!(await mayReplace(agreed))) return 0;
  const w = exportWriter(pick.out, agreed);
  const text = instances.files(deps.version);
  let written = 0;
  for (const e of wanted) if (await w.write(path.join(pick.out, e.file), e.format === 'coco' ? text.coco : text.results)) written++;
  reportRefused(w, deps.log);
  deps.log.info(`gallery: exported ${wanted.map((e) => e.file).join(' and ')} to ${pick.out}`);
  if (written) void vscode.window.showInformationMessage(`SegLens: ${wanted.map((e) => e.file).join(' and ')} written to ${pick.out}`);
  return written;
}

async function pickInstanceExport(folder: vscode.Uri): Promise<{ formats: ExportFormat[]; out: string } | undefined> {
  const picks = await vscode.window.showQuickPick(
    INSTANCE_EXPORTS.map((e) => ({ label: e.format, description: e.file, detail: e.detail, picked: true })),
    { canPickMany: true, title: 'SegLens: Export instances — formats' },
  );
  if (!picks?.length) return undefined;
  const out = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, defaultUri: folder, openLabel: 'Export here', title: 'SegLens: Export instances — output folder' });
  if (!out?.[0]) return undefined;
  return { formats: picks.map((p) => p.label as ExportFormat), out: out[0].fsPath };
}
