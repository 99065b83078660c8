// Notices when a warm mode has become slow: the median of its last N inference times is
// over `factor` times the baseline measured right after its warm-up. Pure (times are passed
// in), so it is tested with made-up timings.
import { median } from '../api/numbers';

export interface DegradationOptions {
  /** Inferences after a warm-up that make the baseline (their median). */
  baselineSamples: number;
  /** Recent inferences compared with the baseline. */
  window: number;
  /** How much slower the recent median must be. */
  factor: number;
}

export const DEFAULT_DEGRADATION: DegradationOptions = { baselineSamples: 3, window: 5, factor: 1.5 };

export class DegradationDetector {
  private baselineRuns: number[] = [];
  private baseline: number | undefined;
  private recent: number[] = [];

  constructor(private readonly opts: DegradationOptions = DEFAULT_DEGRADATION) {}

  /** A warm-up ran: measure a new baseline from the next inferences. */
  reset(): void {
    this.baselineRuns = [];
    this.baseline = undefined;
    this.recent = [];
  }

  get baselineMs(): number | undefined {
    return this.baseline;
  }

  /** Records one inference; true when the mode has degraded (then it waits for a reset). */
  record(ms: number): boolean {
    if (this.baseline === undefined) {
      this.baselineRuns.push(ms);
      if (this.baselineRuns.length >= this.opts.baselineSamples) this.baseline = median(this.baselineRuns);
      return false;
    }
    this.recent.push(ms);
    if (this.recent.length > this.opts.window) this.recent.shift();
    if (this.recent.length < this.opts.window) return false;
    if (median(this.recent) <= this.opts.factor * this.baseline) return false;
    this.recent = [];
    return true;
  }
}
