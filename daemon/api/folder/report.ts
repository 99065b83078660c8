// The folder report (JSON and CSV), built the same way wherever the run happened (CLI, VS Code):
//   { mode, images: [{ path, width, height, ms, gt?, iou?, dice?, classes?: [{name, iou}], error?: {code, message} }],
//     summary: { images, failed, withGroundTruth, meanIoU?, classes?: [{name, iou}] } }
// summary.meanIoU is the mean of the images' `iou` (binary: foreground IoU; semantic: the
// image's mean class IoU); summary.classes is each class's IoU over the whole folder,
// sum(intersection) / sum(union), the PASCAL VOC / Cityscapes benchmark definition.
import { ScoreResult } from '../protocol';

export interface ReportClass {
  name: string;
  iou: number;
}
export interface ReportImage {
  /** Relative to its input root, '/' separators. */
  path: string;
  width: number;
  height: number;
  ms: number;
  /** The ground-truth file (relative to the input root, '/' separators) when one was found. */
  gt?: string;
  iou?: number;
  dice?: number;
  classes?: ReportClass[];
  error?: { code: number; message: string };
}
export interface ReportSummary {
  images: number;
  failed: number;
  /** Images for which a ground-truth file was found. */
  withGroundTruth: number;
  meanIoU?: number;
  classes?: ReportClass[];
}
export interface Report {
  mode: string;
  images: ReportImage[];
  summary: ReportSummary;
}

/** Scores rounded for the report: 6 decimals is far below the 0.001 anyone compares at. */
const r6 = (v: number) => Math.round(v * 1e6) / 1e6;

/** The score fields of an image's report entry. */
export function scoreFields(s: ScoreResult): Pick<ReportImage, 'iou' | 'dice' | 'classes'> {
  const out: Pick<ReportImage, 'iou' | 'dice' | 'classes'> = { iou: r6(s.iou) };
  if (s.dice !== undefined) out.dice = r6(s.dice);
  if (s.classes) out.classes = s.classes.map((c) => ({ name: c.label, iou: r6(c.iou) }));
  return out;
}

export class ReportBuilder {
  private readonly entries: ReportImage[] = [];
  private readonly perClass = new Map<string, { id: number; i: number; u: number }>();

  constructor(private readonly mode: string) {}

  add(entry: ReportImage, score?: ScoreResult): void {
    this.entries.push(score ? { ...entry, ...scoreFields(score) } : entry);
    for (const c of score?.classes ?? []) {
      const acc = this.perClass.get(c.label) ?? { id: c.id, i: 0, u: 0 };
      acc.i += c.intersection;
      acc.u += c.union;
      this.perClass.set(c.label, acc);
    }
  }

  build(): Report {
    const images = [...this.entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const scored = images.filter((e) => e.iou !== undefined);
    const summary: ReportSummary = {
      images: images.length,
      failed: images.filter((e) => e.error).length,
      withGroundTruth: images.filter((e) => e.gt !== undefined).length,
    };
    if (scored.length) summary.meanIoU = r6(scored.reduce((s, e) => s + e.iou!, 0) / scored.length);
    if (this.perClass.size) {
      summary.classes = [...this.perClass.entries()].sort((a, b) => a[1].id - b[1].id).map(([name, c]) => ({ name, iou: r6(c.u === 0 ? 1 : c.i / c.u) }));
    }
    return { mode: this.mode, images, summary };
  }
}

/** What a spreadsheet would start a formula with (OWASP's CSV injection list). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A CSV cell; text from files (names, messages) that a spreadsheet would run as a formula gets a leading `'`. */
const csvCell = (v: unknown) => {
  let s = v === undefined ? '' : String(v);
  if (typeof v === 'string' && FORMULA_START.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** One row per image; semantic runs get an `iou:<class>` column per class seen. */
export function reportCsv(r: Report): string {
  // In class id order (the summary's), then any other name seen.
  const classNames = [...new Set([...(r.summary.classes ?? []).map((c) => c.name), ...r.images.flatMap((e) => (e.classes ?? []).map((c) => c.name))])];
  const head = ['path', 'width', 'height', 'ms', 'gt', 'iou', 'dice', 'error_code', 'error_message', ...classNames.map((n) => `iou:${n}`)];
  const rows = r.images.map((e) => {
    const per = new Map((e.classes ?? []).map((c) => [c.name, c.iou]));
    return [e.path, e.width, e.height, e.ms, e.gt, e.iou, e.dice, e.error?.code, e.error?.message, ...classNames.map((n) => per.get(n))];
  });
  return [head, ...rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

/** The report file's text: CSV for a `.csv` name, else JSON (the CLI's --report and the gallery's Export report). */
export function reportText(r: Report, file: string): string {
  return /\.csv$/i.test(file) ? reportCsv(r) : JSON.stringify(r, null, 2) + '\n';
}
