// The daemon's log in this window's log channel: `seglens/log` notifications and the stderr
// lines of a daemon this window spawned. Both carry their own level; the channel adds its own
// time, so a stderr line's time is dropped.
import type * as vscode from 'vscode';
import { LOG_LEVELS } from '../../daemon/api/constants';
import type { LogParams } from '../../daemon/api/protocol';

/** A daemon stderr line: `<ISO time> [<level>] <message>`. */
const STDERR_LINE = new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\[(${LOG_LEVELS.join('|')})\\] (.*)$`);

export function logFromDaemon(log: vscode.LogOutputChannel, l: LogParams): void {
  const m = `[daemon] ${l.message}`;
  if (l.level === 'error') log.error(m);
  else if (l.level === 'warn') log.warn(m);
  else if (l.level === 'debug') log.debug(m);
  else log.info(m);
}

export function logStderrLine(log: vscode.LogOutputChannel, line: string): void {
  const m = STDERR_LINE.exec(line);
  if (m) logFromDaemon(log, { level: m[1] as LogParams['level'], message: m[2] });
  else log.info(`[daemon] ${line}`);
}
