// The folder's report and summary, from the gallery's outcomes, through the CLI's own builder
// and writer (daemon/api/folder/report.ts): the same fields, the same numbers, the same CSV.
import type { Report } from '../../daemon/api/folder/report';
import { ReportBuilder } from '../../daemon/api/folder/report';
import type { SummaryInfo } from '../../media/webview/shared/galleryMessages';
import type { ImageOutcome } from './folderRun';

export const WORST = 10;
/** Classes in the folder's confusion matrix: more would not read as a table. */
export const CONFUSION_MAX = 20;

/** The report of the images that have an outcome (done or failed). */
export function folderReport(mode: string, outcomes: readonly (ImageOutcome | undefined)[]): Report {
  const b = new ReportBuilder(mode);
  for (const o of outcomes) if (o?.entry) b.add(o.entry, o.score);
  return b.build();
}

/** Semantic: the scores' confusion pairs summed, over the classes with the most pixels. */
export function folderConfusion(outcomes: readonly (ImageOutcome | undefined)[], labelOf: (id: number) => string): SummaryInfo['confusion'] {
  const sum = new Map<number, number>();
  const size = new Map<number, number>();
  for (const c of outcomes.flatMap((o) => o?.score?.confusion ?? [])) {
    sum.set(c.gt * 256 + c.pred, (sum.get(c.gt * 256 + c.pred) ?? 0) + c.pixels);
    size.set(c.gt, (size.get(c.gt) ?? 0) + c.pixels);
    size.set(c.pred, (size.get(c.pred) ?? 0) + c.pixels);
  }
  if (sum.size === 0) return undefined;
  const ids = [...size.entries()].sort((a, b) => b[1] - a[1]).slice(0, CONFUSION_MAX).map(([id]) => id).sort((a, b) => a - b);
  return { labels: ids.map(labelOf), rows: ids.map((g) => ids.map((p) => sum.get(g * 256 + p) ?? 0)) };
}

/** What the gallery's summary shows: the report's summary and the images with the lowest IoU. */
export function folderSummary(report: Report, indexOf: (rel: string) => number, confusion?: SummaryInfo['confusion']): SummaryInfo {
  const worst = report.images
    .filter((e) => e.iou !== undefined)
    .sort((a, b) => a.iou! - b.iou! || (a.path < b.path ? -1 : 1))
    .slice(0, WORST)
    .map((e) => ({ i: indexOf(e.path), rel: e.path, iou: e.iou! }));
  return confusion ? { ...report.summary, worst, confusion } : { ...report.summary, worst };
}
