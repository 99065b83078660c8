// The folder's report and summary, from the gallery's outcomes, through the CLI's own builder
// and writer (daemon/api/report.ts): the same fields, the same numbers, the same CSV.
import type { Report } from '../../daemon/api/report';
import { ReportBuilder } from '../../daemon/api/report';
import type { SummaryInfo } from '../../media/webview/gallery/messages';
import type { ImageOutcome } from './folderRun';

export const WORST = 10;

/** The report of the images that have an outcome (done or failed). */
export function folderReport(mode: string, outcomes: readonly (ImageOutcome | undefined)[]): Report {
  const b = new ReportBuilder(mode);
  for (const o of outcomes) if (o?.entry) b.add(o.entry, o.score);
  return b.build();
}

/** What the gallery's summary shows: the report's summary and the images with the lowest IoU. */
export function folderSummary(report: Report, indexOf: (rel: string) => number): SummaryInfo {
  const worst = report.images
    .filter((e) => e.iou !== undefined)
    .sort((a, b) => a.iou! - b.iou! || (a.path < b.path ? -1 : 1))
    .slice(0, WORST)
    .map((e) => ({ i: indexOf(e.path), rel: e.path, iou: e.iou! }));
  return { ...report.summary, worst };
}
