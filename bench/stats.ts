// Statistics and rounding for the bench figures.
import * as os from 'node:os';
import { median, round1 as r1 } from '../daemon/api/numbers';

// ------------------------------------------------------------------------------- statistics

export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
export { median, r1 };
export const r3 = (x: number) => Math.round(x * 1000) / 1000;
export const r4 = (x: number) => Math.round(x * 10000) / 10000;
export const mb = (bytes: number) => Math.round(bytes / 1048576);
export const gb = (bytes: number) => Math.round((bytes / 1073741824) * 1000) / 1000;
export const now = () => performance.now();

/** Adds the 1-minute load average when a figure was finished (the machine may be shared). */
export function stamp<T extends { detail: Record<string, unknown> }>(f: T): T {
  f.detail.loadAverage1mWhenDone = r1(os.loadavg()[0]);
  return f;
}

export function summary(xs: number[]) {
  return { n: xs.length, median: r1(median(xs)), p95: r1(quantile(xs, 0.95)), min: r1(Math.min(...xs)), max: r1(Math.max(...xs)) };
}


export async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = now();
  const v = await f();
  return [v, now() - t];
}

