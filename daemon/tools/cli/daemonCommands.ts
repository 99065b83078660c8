// `seglens status | metrics | unload [MODE]`: the shared daemon from a terminal, like `ollama ps`.
import { DaemonClient } from '../../api/client';
import { StatusResult } from '../../api/protocol';
import { connectShared, sharedSocketPath } from './connect';
import { shown } from './terminal';

const mb = (n: number) => `${Math.round(n / 1048576)} MB`;

function until(expiresAt: string | undefined, selected: boolean | undefined, loaded: boolean, now: number): string {
  if (!loaded) return '-';
  if (selected) return 'kept (selected)';
  if (!expiresAt) return 'kept';
  const s = Math.max(0, Math.round((Date.parse(expiresAt) - now) / 1000));
  return s >= 60 ? `in ${Math.floor(s / 60)}m ${s % 60}s` : `in ${s}s`;
}

/** Columns aligned; cells (mode ids, errors, model paths) with their control characters escaped. */
function table(raw: string[][]): string {
  const rows = raw.map((r) => r.map(shown));
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/** What Show Status shows: the daemon, every mode's state, the loaded models and their memory. */
export function formatStatus(s: StatusResult, socket: string, daemonVersion: string, now = Date.now()): string {
  const out = [
    `SegLens daemon ${shown(daemonVersion)}, pid ${s.pid}, ${shown(socket)}`,
    `uptime ${Math.round(s.uptimeMs / 1000)} s, ${s.clients} client(s), memory ${mb(s.rssBytes)} resident, provider ${s.provider}`,
    '',
  ];
  const rows = [['MODE', 'STATE', 'LOADED', 'WARM-UPS', 'LAST INFERENCE', 'UNTIL']];
  for (const m of s.modes) {
    const last = m.lastInferenceMs !== undefined ? `${Math.round(m.lastInferenceMs)} ms` : '-';
    rows.push([m.mode, m.state + (m.error ? ` (${m.error})` : ''), m.loaded ? 'yes' : 'no', String(m.warmups), last, until(m.expiresAt, m.selected, m.loaded, now)]);
  }
  out.push(table(rows));
  if (s.models?.length) {
    out.push('', table([['MODEL', 'MODES', 'MEMORY'], ...s.models.map((m) => [m.file, m.modes.join(','), `~${mb(m.approxBytes)}`])]));
  } else out.push('', 'no model loaded');
  return out.join('\n') + '\n';
}

/** Runs `fn` against the shared daemon; says so plainly (exit 1) when none is running. */
async function withShared(fn: (c: DaemonClient) => Promise<void>): Promise<number> {
  const client = await connectShared();
  if (!client) {
    process.stderr.write(`seglens: no SegLens daemon is running (nothing listens on ${shown(sharedSocketPath())})\n`);
    return 1;
  }
  try {
    await fn(client);
    return 0;
  } finally {
    client.dispose();
  }
}

export const statusCommand = () =>
  withShared(async (c) => {
    process.stdout.write(formatStatus(await c.status(), sharedSocketPath(), c.initializeResult?.daemonVersion ?? '?'));
  });

export const metricsCommand = () =>
  withShared(async (c) => {
    process.stdout.write((await c.metrics()).text);
  });

export const unloadCommand = (mode?: string) =>
  withShared(async (c) => {
    const r = await c.unload(mode);
    process.stdout.write(r.unloaded.length ? `unloaded: ${shown(r.unloaded.join(', '))}\n` : 'nothing was loaded\n');
  });
