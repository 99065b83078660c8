// First-run and steady times per (provider, mode, input shape), for `status` (issue 27): on a
// GPU the first run at a shape compiles its shaders, which is what the warm-up pays for.
import type { ProviderTiming } from '../../api/protocol';

/** Later runs kept per shape for the steady median. */
const KEEP = 9;

interface Entry {
  provider: string;
  mode: string;
  inputSize: [number, number];
  firstRunMs: number;
  later: number[];
  runs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export class RunTimes {
  private readonly entries = new Map<string, Entry>();

  record(provider: string, mode: string, inputSize: [number, number], ms: number): void {
    const key = `${provider}|${mode}|${inputSize.join('x')}`;
    const e = this.entries.get(key);
    if (!e) {
      this.entries.set(key, { provider, mode, inputSize, firstRunMs: ms, later: [], runs: 1 });
      return;
    }
    e.runs++;
    e.later.push(ms);
    if (e.later.length > KEEP) e.later.shift();
  }

  list(): ProviderTiming[] {
    const round = (v: number) => Math.round(v * 10) / 10;
    return [...this.entries.values()].map((e) => ({
      provider: e.provider,
      mode: e.mode,
      inputSize: e.inputSize,
      firstRunMs: round(e.firstRunMs),
      ...(e.later.length > 0 ? { steadyMs: round(median(e.later)) } : {}),
      runs: e.runs,
    }));
  }
}
