// Follows a log file from an offset and hands over complete lines: the shared daemon writes
// its stderr to a file (it outlives the window), and the window that spawned it shows that
// output in its log channel while it lives.
import * as fs from 'node:fs';

export class LogTail {
  private offset: number;
  private partial = '';
  private disposed = false;
  private readonly listener = () => this.flush();

  constructor(
    private readonly file: string,
    start: number,
    private readonly onLine: (line: string) => void,
    intervalMs = 500,
  ) {
    this.offset = start;
    fs.watchFile(file, { interval: intervalMs, persistent: false }, this.listener);
  }

  /** Reads whatever was appended since the last read. */
  flush(): void {
    if (this.disposed) return;
    let fd: number | undefined;
    try {
      fd = fs.openSync(this.file, 'r');
      const size = fs.fstatSync(fd).size;
      if (size < this.offset) this.offset = 0; // rotated
      if (size === this.offset) return;
      const buf = Buffer.alloc(Math.min(size - this.offset, 1024 * 1024));
      const n = fs.readSync(fd, buf, 0, buf.length, this.offset);
      this.offset += n;
      const lines = (this.partial + buf.subarray(0, n).toString('utf8')).split(/\r?\n/);
      this.partial = lines.pop() ?? '';
      for (const l of lines) if (l) this.onLine(l);
    } catch {
      // the file may be gone; nothing to follow
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    fs.unwatchFile(this.file, this.listener);
  }
}
