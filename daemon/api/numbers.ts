// The small numeric helpers every side shares (daemon, extension, bench), written once: the
// median of timings and the rounding to 0.1 ms that every reported time uses.

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Rounded to one decimal: how times are reported (ms in results, metrics, bench figures). */
export const round1 = (x: number): number => Math.round(x * 10) / 10;
