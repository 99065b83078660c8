// Which modes were used lately, kept in the cache folder so a restarted daemon can load and
// warm them again in the background. Work product only: no "warm" flag survives a restart.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { round1 } from '../api/numbers';
import { writeFileAtomicSync } from '../util/fileOps';

const FILE = 'recent-modes.json';

interface Stored {
  version: 1;
  modes: { mode: string; lastUsedAt: string }[];
  /** This machine's steady inference time per mode, ms (issue #14; older files lack it). */
  steadyMs?: Record<string, number>;
}

export class RecentModes {
  private modes = new Map<string, number>();
  private steady = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dir: string,
    private readonly log: (level: 'warn' | 'debug', message: string) => void = () => undefined,
  ) {
    const file = path.join(dir, FILE);
    try {
      const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Stored;
      if (stored.version !== 1 || !Array.isArray(stored.modes)) throw new Error('unknown format');
      for (const m of stored.modes) {
        const t = Date.parse(m.lastUsedAt);
        if (typeof m.mode === 'string' && Number.isFinite(t)) this.modes.set(m.mode, t);
      }
      for (const [mode, ms] of Object.entries(stored.steadyMs ?? {})) if (typeof ms === 'number' && Number.isFinite(ms) && ms > 0) this.steady.set(mode, ms);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log('warn', `ignoring ${file}: ${(e as Error).message}`);
    }
  }

  /** Most recent first. */
  list(): string[] {
    return [...this.modes.entries()].sort((a, b) => b[1] - a[1]).map(([m]) => m);
  }

  used(mode: string, at = Date.now()): void {
    this.modes.set(mode, at);
    // Written at most once a second: use is recorded on every request.
    this.timer ??= setTimeout(() => this.flush(), 1000).unref();
  }

  /** Remembered steady inference times, by mode. */
  steadyTimes(): Map<string, number> {
    return new Map(this.steady);
  }

  setSteady(mode: string, ms: number): void {
    this.steady.set(mode, round1(ms));
    this.timer ??= setTimeout(() => this.flush(), 1000).unref();
  }

  forget(mode: string): void {
    if (this.modes.delete(mode)) this.timer ??= setTimeout(() => this.flush(), 1000).unref();
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const stored: Stored = {
      version: 1,
      modes: this.list().map((mode) => ({ mode, lastUsedAt: new Date(this.modes.get(mode)!).toISOString() })),
      steadyMs: Object.fromEntries(this.steady),
    };
    const file = path.join(this.dir, FILE);
    try {
      // Synchronous: flush() runs at shutdown, just before the process exits.
      writeFileAtomicSync(file, JSON.stringify(stored, null, 2));
    } catch (e) {
      this.log('warn', `could not save ${file}: ${(e as Error).message}`);
    }
  }
}
