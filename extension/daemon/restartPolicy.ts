// When the daemon connection dies unexpectedly: restart after a growing delay, and give up
// after too many crashes in a short window (vscode-languageclient's DefaultErrorHandler gives
// up the same way, but restarts at once; a delay keeps a crash loop from burning a core).
// Pure: the clock is injected so tests can drive time.

export interface RestartPolicyOptions {
  /** Crashes within `windowMs` that make the policy give up. */
  maxCrashes?: number;
  windowMs?: number;
  /** First delay; each further crash inside the window doubles it, up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  now?: () => number;
}

export type RestartDecision = { action: 'restart'; delayMs: number; crashes: number } | { action: 'giveUp'; crashes: number };

export class RestartPolicy {
  private crashes: number[] = [];
  private readonly maxCrashes: number;
  private readonly windowMs: number;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly now: () => number;

  constructor(opts: RestartPolicyOptions = {}) {
    this.maxCrashes = opts.maxCrashes ?? 5;
    this.windowMs = opts.windowMs ?? 3 * 60_000;
    this.initialDelayMs = opts.initialDelayMs ?? 500;
    this.maxDelayMs = opts.maxDelayMs ?? 8_000;
    this.now = opts.now ?? Date.now;
  }

  /** Records one crash and says what to do about it. */
  crashed(): RestartDecision {
    const t = this.now();
    this.crashes = this.crashes.filter((c) => t - c < this.windowMs);
    this.crashes.push(t);
    const n = this.crashes.length;
    if (n >= this.maxCrashes) return { action: 'giveUp', crashes: n };
    return { action: 'restart', delayMs: Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** (n - 1)), crashes: n };
  }

  /** Crashes counted in the current window. */
  get recentCrashes(): number {
    const t = this.now();
    return this.crashes.filter((c) => t - c < this.windowMs).length;
  }

  /** The user asked for a restart (or the daemon has been healthy): start counting afresh. */
  reset(): void {
    this.crashes = [];
  }
}
