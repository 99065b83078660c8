// Activation ranges from calibration statistics. Each quantised tensor gets a histogram of its
// values over the calibration images (after a first pass found its min and max), and a range
// is chosen from it by one of the usual methods:
//  - 'minmax': the whole observed range (no clipping: rare large values cost resolution);
//  - 'percentile': the 0.001 % tails clipped on each side;
//  - 'mse': the upper bound that minimises the expected squared error of uint8 rounding
//    plus clipping, over the histogram (the lower bound stays the observed minimum: most
//    tensors here follow a Relu and start at 0).
import { Range } from '../../../daemon/models/quantize/qdqInsert';
import { RangeMethod } from '../../../daemon/models/quantize/isnetRanges';

export const RANGE_METHODS: RangeMethod[] = ['minmax', 'percentile', 'mse'];
const BINS = 2048;
const PERCENTILE_TAIL = 1e-5;

export class Histogram {
  readonly counts = new Float64Array(BINS);
  constructor(
    readonly min: number,
    readonly max: number,
  ) {}

  add(values: Float32Array): void {
    const { min, counts } = this;
    const k = this.max > min ? BINS / (this.max - min) : 0;
    for (let i = 0; i < values.length; i++) {
      const b = Math.floor((values[i] - min) * k);
      counts[b < 0 ? 0 : b >= BINS ? BINS - 1 : b]++;
    }
  }

  /** The value of bin i's upper edge. */
  edge(i: number): number {
    return this.min + ((i + 1) * (this.max - this.min)) / BINS;
  }

  choose(method: RangeMethod): Range {
    if (method === 'minmax' || this.max <= this.min) return { min: this.min, max: this.max };
    return method === 'percentile' ? this.percentile() : this.mse();
  }

  private percentile(): Range {
    const total = this.counts.reduce((a, b) => a + b, 0);
    const tail = total * PERCENTILE_TAIL;
    let lo = 0;
    for (let acc = 0; lo < BINS - 1 && acc + this.counts[lo] <= tail; lo++) acc += this.counts[lo];
    let hi = BINS - 1;
    for (let acc = 0; hi > 0 && acc + this.counts[hi] <= tail; hi--) acc += this.counts[hi];
    return { min: lo === 0 ? this.min : this.edge(lo - 1), max: this.edge(hi) };
  }

  private mse(): Range {
    const width = (this.max - this.min) / BINS;
    let best = { err: Infinity, hi: this.max };
    // Candidate upper bounds from 1/16 of the range up to all of it.
    for (let h = BINS / 16 - 1; h < BINS; h++) {
      const hi = this.edge(h);
      const step = (hi - Math.min(0, this.min)) / 255;
      let err = 0;
      for (let i = 0; i < BINS; i++) {
        const c = this.counts[i];
        if (c === 0) continue;
        const v = this.min + (i + 0.5) * width;
        err += c * (v > hi ? (v - hi) ** 2 : (step * step) / 12);
      }
      if (err < best.err) best = { err, hi };
    }
    return { min: this.min, max: best.hi };
  }
}
