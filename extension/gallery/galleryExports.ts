// The gallery's exports, written by the CLI's own code (daemon/api/folder/report.ts, exports/): the
// report as CSV and JSON side by side, and the folder's masks in the formats picked, named
// `<out>/<path without extension>.<format>.png` (+ `coco.json`). Never over an existing file
// without a dialog saying which.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CocoBuilder } from '../../daemon/api/exports/coco';
import { EXPORT_FORMATS, ExportFormat, alphaThreshold, maskKind, renderExports } from '../../daemon/api/exports/render';
import { FolderImage, outBases } from '../../daemon/api/folder/folderImages';
import { Report, reportText } from '../../daemon/api/folder/report';
import type { ImageOutcome } from './folderRun';
import type { GalleryDeps } from './galleryManager';

const THRESHOLD = 0.5;

/** Asks before replacing existing files; true to go on. */
async function mayOverwrite(files: string[]): Promise<boolean> {
  const existing = files.filter((f) => fs.existsSync(f));
  if (existing.length === 0) return true;
  const names = existing.slice(0, 5).map((f) => path.basename(f)).join(', ') + (existing.length > 5 ? `, and ${existing.length - 5} more` : '');
  const choice = await vscode.window.showWarningMessage(`SegLens: ${existing.length} file(s) exist already: ${names}. Overwrite them?`, { modal: true }, 'Overwrite');
  return choice === 'Overwrite';
}

async function write(file: string, data: string | Uint8Array): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.promises.writeFile(tmp, data);
  await fs.promises.rename(tmp, file);
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
  const csv = picked.fsPath.replace(/\.(csv|json)$/i, '') + '.csv';
  const json = csv.replace(/\.csv$/, '.json');
  // The save dialog asked about the file picked; the other one is asked about here.
  if (!(await mayOverwrite(target ? [csv, json] : [csv === picked.fsPath ? json : csv]))) return undefined;
  await write(csv, reportText(report, csv));
  await write(json, reportText(report, json));
  log.info(`gallery: report written to ${csv} and ${json} (${report.images.length} images)`);
  void vscode.window.showInformationMessage(`SegLens: report written to ${path.basename(csv)} and ${path.basename(json)}`);
  return csv;
}

async function pickExport(folder: vscode.Uri): Promise<{ formats: ExportFormat[]; out: string } | undefined> {
  const picks = await vscode.window.showQuickPick(
    EXPORT_FORMATS.map((f) => ({ label: f, picked: f === 'mask' })),
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
  if (!(await mayOverwrite(files))) return 0;
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
      for (const [f, data] of out.files) await write(target(i, f), data);
      coco?.add(i, img.rel, out.pixels!, r.width, r.height);
      progress.report({ message: `${k + 1}/${done.length}`, increment: 100 / done.length });
    }
  });
  if (coco) await write(path.join(pick.out, 'coco.json'), JSON.stringify(coco.toJSON(deps.version)));
  deps.log.info(`gallery: exported ${done.length} image(s) as ${pick.formats.join(', ')} to ${pick.out}`);
  return done.length;
}
