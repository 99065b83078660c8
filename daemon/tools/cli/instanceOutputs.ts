// `seglens segment` with an instance mode (issue 24): what its requests ask for, its run files
// (coco.json, coco-results.json) and its summary line, from daemon/api/coco/instanceRun.ts (the
// report fields: daemon/api/coco/instanceReport.ts).
import * as path from 'node:path';
import { CocoFileError, readCocoGroundTruth } from '../../api/coco/cocoGroundTruth';
import { InstanceRun, InstanceSummaryFields } from '../../api/coco/instanceRun';
import { ModeInfo, SegmentParams } from '../../api/protocol';
import { SegmentRunOptions, UsageError } from './args';

/** The run's instance collector, or undefined for other modes (refusing instance-only options). */
export function instanceRunFor(o: SegmentRunOptions, mode: ModeInfo): InstanceRun | undefined {
  if (mode.task !== 'instance' || !mode.instance) {
    if (o.formats.includes('coco-results') || o.gtCoco || o.scoreThreshold !== undefined) {
      throw new UsageError(`--format coco-results, --gt FILE.json and --score-threshold need an instance mode; '${mode.id}' is ${mode.task}`);
    }
    return undefined;
  }
  let gt;
  try {
    gt = o.gtCoco ? readCocoGroundTruth(o.gtCoco) : undefined;
  } catch (e) {
    if (e instanceof CocoFileError) throw new UsageError(`--gt ${e.message}`);
    throw e;
  }
  const own = mode.instance.scoreThreshold;
  return new InstanceRun(mode, o.scoreThreshold ?? own, own, gt);
}

/** What each segment request of an instance run asks for: masks as RLE, down to the lower threshold. */
export function instanceParams(run: InstanceRun | undefined, mode: ModeInfo): Partial<SegmentParams> {
  if (!run) return {};
  return { instanceRle: true, scoreThreshold: Math.min(run.scoreThreshold, mode.instance!.scoreThreshold) };
}

/** Run files of an instance run: [file, JSON text]. */
export function instanceFiles(o: SegmentRunOptions, run: InstanceRun, version: string): [string, string][] {
  const files: [string, string][] = [];
  if (o.formats.includes('coco')) files.push([path.join(o.out, 'coco.json'), JSON.stringify(run.cocoFile(version))]);
  if (o.formats.includes('coco-results')) files.push([path.join(o.out, 'coco-results.json'), JSON.stringify(run.results())]);
  return files;
}


/** One line per summary figure. */
export function instanceSummaryText(summary: object): string {
  const s = summary as Partial<InstanceSummaryFields>;
  if (s.ap === undefined) return '';
  const f = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : v.toFixed(4));
  const lines = [`  mask AP ${f(s.ap)}  AP50 ${f(s.ap50)}  AP75 ${f(s.ap75)}  (${s.detections} detections at score >= ${s.scoreThreshold})`];
  for (const c of s.classes ?? []) lines.push(`  ${c.name.padEnd(20)} AP ${f(c.ap)}`);
  if (s.unmatchedCategories?.length) lines.push(`  ground-truth categories without a label: ${s.unmatchedCategories.join(', ')}`);
  if (s.unmatchedLabels?.length) lines.push(`  labels without a ground-truth category: ${s.unmatchedLabels.join(', ')}`);
  if (s.gtImagesNotInRun) lines.push(`  ${s.gtImagesNotInRun} ground-truth image(s) not in this run: their objects count as missed`);
  return lines.join('\n') + '\n';
}
