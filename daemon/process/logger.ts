// The daemon's log: one line per message on stderr, filtered by --log-level. stdout is never
// written: under --stdio it carries the protocol.
import { LOG_LEVELS, Logger, LogLevel } from '../api/constants';

export function makeLogger(threshold: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const max = LOG_LEVELS.indexOf(threshold);
  return (level, message) => {
    if (LOG_LEVELS.indexOf(level) > max) return;
    write(`${new Date().toISOString()} [${level}] ${message}\n`);
  };
}

/** Routes console.log/info to the log, so that nothing reaches stdout by accident. */
export function captureConsole(log: Logger): void {
  console.log = console.info = (...a: unknown[]) => log('info', a.map(String).join(' '));
}
