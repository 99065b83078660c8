// The calibrated activation ranges the int8 ISNet is built from (isnetRanges.json, written by
// `npm run calibrate:isnet`), one set per calibration method.
import rangesJson from './isnetRanges.json';
import { Range } from './qdqInsert';

/** How a range was chosen from the calibration histograms (test/tools/isnetInt8/rangeChoice.ts). */
export type RangeMethod = 'minmax' | 'percentile' | 'mse';

export interface IsnetRanges {
  size: number;
  images: string[];
  methods: Record<RangeMethod, Record<string, Range>>;
}

export function isnetRanges(): IsnetRanges {
  return rangesJson as IsnetRanges;
}
