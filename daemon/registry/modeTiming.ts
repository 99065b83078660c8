// One mode's inference times, kept in one place (issue #21): the last time, the steady time (the
// median of its last warm requests, or one remembered from an earlier process), the degradation
// check with its baseline (measured anew after each warm-up), and the watchdog's bound made from
// them. The registry holds one per mode and answers for it.
import { median } from '../api/numbers';
import { DegradationDetector } from './degradation';

/** Warm inference times the steady time is the median of. */
const STEADY_WINDOW = 5;
/** The watchdog allows this many times a mode's steady inference time (and never less than its floor). */
const WATCHDOG_FACTOR = 10;

export class ModeTiming {
  lastMs?: number;
  steadyMs?: number;
  private steady: number[] = [];
  private readonly degradation = new DegradationDetector();

  /**
   * Records one inference; `steady`: it ran on a mode already warm (not its first run), so it
   * counts for the steady time and the degradation check. True when the mode has degraded.
   */
  record(ms: number, steady: boolean): boolean {
    this.lastMs = ms;
    if (!steady) return false;
    this.steady = [...this.steady.slice(-(STEADY_WINDOW - 1)), ms];
    this.steadyMs = median(this.steady);
    return this.degradation.record(ms);
  }

  /** A steady time remembered from an earlier process, until this one measures its own. */
  remember(ms: number): void {
    if (this.steady.length === 0 && Number.isFinite(ms) && ms > 0) this.steadyMs = ms;
  }

  /** A warm-up ran: the degradation baseline is measured anew from the next inferences. */
  warmedUp(): void {
    this.degradation.reset();
  }

  /** The degradation check's baseline (the median of the first runs after the last warm-up). */
  get baselineMs(): number | undefined {
    return this.degradation.baselineMs;
  }

  /**
   * How long a segment may run in the engine before the watchdog replaces it: 10x the mode's
   * inference time, at least `floorMs` (--watchdog-seconds, default 30 s). The time is the
   * largest known (steady, baseline, last, the catalogue's `typicalMs`): a busy machine must
   * not look like a hung engine. Undefined when the floor is 0 (no watchdog).
   */
  watchdogMs(floorMs: number, typicalMs = 0): number | undefined {
    if (floorMs <= 0) return undefined;
    const known = Math.max(this.steadyMs ?? 0, this.baselineMs ?? 0, this.lastMs ?? 0, typicalMs);
    return Math.max(WATCHDOG_FACTOR * known, floorMs);
  }
}
