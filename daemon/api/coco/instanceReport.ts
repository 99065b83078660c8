// The report of an instance run (issue 24) with its instance fields, for the CLI's report and
// the gallery's export alike: per image (matched by path) `instances` and, against a COCO ground
// truth, `gt` (the file_name matched), `tp`, `fp`, `fn`, `f1`; the summary's AP.
import { Report } from '../folder/report';
import { InstanceRun } from './instanceRun';

/** The report with the instance fields: per image (matched by path) and the summary's AP. */
export function withInstanceFields(rep: Report, run: InstanceRun, indexOf: Map<string, number>): Report {
  const { images, summary } = run.evaluate();
  const out = {
    ...rep,
    images: rep.images.map((e) => {
      const index = indexOf.get(e.path) ?? -1;
      const gt = run.groundTruthName(index);
      return { ...e, ...(gt !== undefined ? { gt } : {}), ...images.get(index) };
    }),
  };
  if (!summary) return out;
  out.summary = { ...out.summary, withGroundTruth: out.images.filter((e) => e.gt !== undefined).length };
  // summary.classes becomes mask AP per ground-truth category ({name, ap}): the JSON's shape
  // for instance runs (the report's writers only read names from it).
  return { ...out, summary: { ...out.summary, ...summary } } as unknown as Report;
}
