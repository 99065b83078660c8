// The keep-alive and memory settings (seglens.daemon.keepAliveMinutes, maxLoadedModels,
// maxRssMb; machine-scoped) and the daemon they reach (issue #14). A window that starts the
// daemon passes them; a window that attaches to a shared daemon started with other values
// says so once, instead of ignoring its settings silently.
import type { StatusResult } from '../../daemon/api/protocol';

export interface DaemonLimits {
  keepAliveMinutes: number;
  /** 0: no limit. */
  maxLoadedModels: number;
  /** 0: no limit. */
  maxRssMb: number;
}

/** The daemon flags for these settings (daemonArgs names). */
export function limitsArgs(l: DaemonLimits): { keepAliveMinutes: number; maxLoadedModels: number; maxRssMb: number } {
  return { keepAliveMinutes: l.keepAliveMinutes, maxLoadedModels: l.maxLoadedModels, maxRssMb: l.maxRssMb };
}

/**
 * What differs between this window's settings and a running daemon's (from `status`), as
 * "setting: window vs daemon" parts; empty when they agree or the daemon does not say.
 */
export function limitsDiffer(l: DaemonLimits, s: Pick<StatusResult, 'keepAliveMs' | 'maxLoadedModels' | 'maxRssBytes'>): string[] {
  const out: string[] = [];
  if (s.keepAliveMs !== undefined && Math.round(s.keepAliveMs / 60_000) !== l.keepAliveMinutes) {
    out.push(`keep-alive ${l.keepAliveMinutes} min here, ${Math.round(s.keepAliveMs / 60_000)} min in the daemon`);
  }
  if (s.maxLoadedModels !== undefined && s.maxLoadedModels !== l.maxLoadedModels) {
    out.push(`at most ${l.maxLoadedModels || 'any number of'} loaded models here, ${s.maxLoadedModels || 'no limit'} in the daemon`);
  }
  if (s.maxRssBytes !== undefined && Math.round(s.maxRssBytes / 1048576) !== l.maxRssMb) {
    out.push(`memory budget ${l.maxRssMb || 'none'}${l.maxRssMb ? ' MB' : ''} here, ${s.maxRssBytes ? `${Math.round(s.maxRssBytes / 1048576)} MB` : 'none'} in the daemon`);
  }
  return out;
}
