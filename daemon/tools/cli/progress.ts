// Progress: a bar redrawn in place on a terminal, plain lines otherwise (logs, CI, pipes). Names
// and messages are shown with their control characters escaped (terminal.ts).
import { shown } from './terminal';

export interface ProgressLine {
  rel: string;
  ok: boolean;
  detail: string;
}

export class Progress {
  private done = 0;
  private readonly started = Date.now();

  constructor(
    private readonly total: number,
    private readonly tty = !!process.stderr.isTTY,
  ) {}

  /** One image finished. */
  step(line: ProgressLine): void {
    this.done++;
    const rel = shown(line.rel);
    const detail = shown(line.detail);
    if (!this.tty) {
      process.stdout.write(`[${this.done}/${this.total}] ${rel} ${line.ok ? 'ok' : 'FAILED'} ${detail}\n`);
      return;
    }
    if (!line.ok) this.clear(), process.stderr.write(`${rel}: ${detail}\n`);
    this.draw(rel);
  }

  private draw(current: string): void {
    const secs = (Date.now() - this.started) / 1000;
    const rate = secs > 0 ? this.done / secs : 0;
    const eta = rate > 0 ? (this.total - this.done) / rate : 0;
    const width = 24;
    const filled = this.total ? Math.round((this.done / this.total) * width) : width;
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const text = `[${bar}] ${this.done}/${this.total}  ${rate.toFixed(2)} img/s  ETA ${fmt(eta)}  ${current}`;
    const cols = process.stderr.columns || 100;
    process.stderr.write(`\r${text.slice(0, cols - 1).padEnd(cols - 1)}`);
  }

  clear(): void {
    if (this.tty) process.stderr.write(`\r${' '.repeat((process.stderr.columns || 100) - 1)}\r`);
  }
}

function fmt(s: number): string {
  const t = Math.round(s);
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
}
