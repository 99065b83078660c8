// "SegLens: Show Status" as text, like `ollama ps`: one line for the daemon, one row per mode.
// Pure, so it can be read (and tested) without VS Code.
import type { GpuStatus, ModeInfo, ModeStatus, StatusResult } from '../../daemon/api/protocol';
import { formatMs } from './statusText';

export interface ReportInput {
  daemonState: string;
  shared: boolean;
  socketPath?: string;
  daemonVersion?: string;
  status?: StatusResult;
  modes: readonly ModeInfo[];
  currentMode: string;
  error?: string;
  /** For "expires in …" (injectable for tests). */
  now?: number;
}

export function formatBytes(n: number): string {
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  if (n < 1024 ** 3) return `${Math.round(n / 1024 / 1024)} MB`;
  return `${(n / 1024 ** 3).toFixed(1)} GB`;
}

export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s % 60}s` : `${s}s`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/** The GPU adapter, providers that could not start and the CPU checks (issue 27). */
function gpuLines(g: GpuStatus | undefined): string[] {
  if (!g) return [];
  const out: string[] = [];
  const a = g.adapter;
  if (a) out.push(`  adapter    ${a.vendor ? `${a.vendor} ${a.architecture}` : (a.driver ?? 'not named by ONNX Runtime')} (${a.backend}, ${a.f16 ? 'f16' : 'no f16'})`);
  for (const u of g.unavailable) out.push(`  ${u.provider.padEnd(10)} not available: ${u.error}`);
  for (const c of g.checks) {
    const f = c.figures;
    const figures = c.error ?? (f.output === 'mask' ? `IoU ${f.iou?.toFixed(4)}, mean alpha difference ${f.meanAlphaDiff?.toFixed(2)}/255` : f.output === 'classes' ? `class agreement ${f.classAgreement?.toFixed(4)}` : `mean difference ${f.meanDiff?.toFixed(2)}/255`);
    out.push(`  check      ${c.model} on ${c.provider}: ${c.passed ? 'passed' : 'failed, runs on the CPU'} (${figures}${c.remembered ? ', remembered' : ''})`);
  }
  return out;
}

export function statusReport(input: ReportInput): string {
  const out: string[] = [];
  const s = input.status;
  out.push('SegLens daemon');
  out.push(`  state      ${input.daemonState}${input.error ? ` (${input.error})` : ''}`);
  out.push(`  kind       ${input.shared ? `shared${input.socketPath ? `, ${input.socketPath}` : ''}` : 'per-window (--stdio)'}`);
  if (s) {
    out.push(`  pid        ${s.pid}${input.daemonVersion ? `, version ${input.daemonVersion}` : ''}`);
    out.push(`  uptime     ${formatDuration(s.uptimeMs)}`);
    out.push(`  clients    ${s.clients}`);
    out.push(`  memory     ${formatBytes(s.rssBytes)} (resident)`);
    out.push(`  provider   ${s.provider}`);
    out.push(...gpuLines(s.gpu));
  }
  out.push('');
  const byMode = new Map((s?.modes ?? []).map((m) => [m.mode, m]));
  const ids = [...new Set([...input.modes.map((m) => m.id), ...byMode.keys()])];
  const now = input.now ?? Date.now();
  // Like `ollama ps`' UNTIL: when an idle loaded mode will be unloaded, or why it is kept.
  const until = (st: ModeStatus | undefined): string => {
    if (!st?.loaded) return '–';
    if (st.selected) return 'kept (selected)';
    if (st.expiresAt) return `in ${formatDuration(Math.max(0, Date.parse(st.expiresAt) - now))}`;
    return 'kept';
  };
  const rows = [['', 'MODE', 'STATE', 'LOADED', 'WARM-UPS', 'LOAD', 'WARM-UP', 'LAST INFERENCE', 'TYPICAL', 'UNTIL']];
  for (const id of ids) {
    const st = byMode.get(id);
    const info = input.modes.find((m) => m.id === id);
    rows.push([
      id === input.currentMode ? '*' : '',
      id,
      st?.state ?? 'cold',
      st?.loaded ? 'yes' : 'no',
      String(st?.warmups ?? 0),
      formatMs(st?.loadMs),
      formatMs(st?.warmupMs),
      formatMs(st?.lastInferenceMs),
      info?.typicalMs ? `~${formatMs(info.typicalMs)}` : '–',
      until(st),
    ]);
  }
  out.push(table(rows));
  if (s?.models?.length) {
    out.push('', 'Loaded models');
    const mrows = [['  MODEL', 'MODES', 'MEMORY (approx.)', 'FILE']];
    for (const m of s.models) mrows.push([`  ${m.key}`, m.modes.join(', '), m.approxBytes ? formatBytes(m.approxBytes) : '–', m.file]);
    out.push(table(mrows));
  }
  const failed = (s?.modes ?? []).filter((m) => m.error);
  if (failed.length) {
    out.push('', 'Errors');
    for (const m of failed) out.push(`  ${m.mode}: ${m.error}`);
  }
  out.push('', '* current mode (setting seglens.mode)');
  return out.join('\n') + '\n';
}
