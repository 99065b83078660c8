// What the status bar says, as a pure function of the state, so it is unit-tested without
// VS Code: the item text (with codicons), whether it shows the error colour, and the Markdown
// of its tooltip (every mode's state, provider, last inference, command links).
import type { ModeState } from '../../daemon/api/protocol';

/** The supervisor's view of the daemon connection. */
export type DaemonState = 'idle' | 'starting' | 'ready' | 'restarting' | 'failed';

export interface ModeView {
  id: string;
  label: string;
  state: ModeState;
  typicalMs?: number;
  lastInferenceMs?: number;
  error?: string;
}

export interface StatusInput {
  daemon: DaemonState;
  /** The current mode (setting `seglens.mode`). */
  mode: string;
  modes: ModeView[];
  provider?: string;
  lastInference?: { mode: string; ms: number };
  /** Why the daemon failed, when it did. */
  daemonError?: string;
  shared?: boolean;
  pid?: number;
}

export interface StatusView {
  text: string;
  /** Show with the error background. */
  error: boolean;
  /** The current mode's state as shown (also the `seglens.modeState` context key). */
  modeState: ModeState | 'unknown';
  tooltip: string;
}

const ICONS: Record<ModeState, string> = {
  warm: '$(flame)',
  warming: '$(loading~spin)',
  loading: '$(loading~spin)',
  cold: '$(circle-outline)',
  failed: '$(error)',
};

export const STATUS_COMMANDS: ReadonlyArray<[label: string, command: string, hint: string]> = [
  ['Switch Mode', 'seglens.switchMode', 'Choose the segmentation mode'],
  ['Re-warm', 'seglens.rewarm', 'Force a warm-up of the current mode'],
  ['Show Status', 'seglens.showStatus', 'Every mode, memory and timings'],
  ['Show Log', 'seglens.showLog', 'The SegLens output channel'],
  ['Restart Daemon', 'seglens.restartDaemon', 'Stop and start the inference daemon'],
];

/** The state of the current mode as far as this window knows it. */
export function currentModeState(input: StatusInput): ModeState {
  if (input.daemon === 'failed') return 'failed';
  if (input.daemon === 'idle') return 'cold';
  return input.modes.find((m) => m.id === input.mode)?.state ?? 'cold';
}

export function statusText(input: StatusInput): StatusView {
  const tooltip = statusTooltip(input);
  if (input.daemon === 'restarting') {
    return { text: '$(loading~spin) SegLens · restarting', error: false, modeState: 'unknown', tooltip };
  }
  if (input.daemon === 'starting') {
    return { text: `$(loading~spin) ${input.mode} · starting`, error: false, modeState: 'loading', tooltip };
  }
  const state = currentModeState(input);
  return { text: `${ICONS[state]} ${input.mode} · ${state}`, error: state === 'failed', modeState: state, tooltip };
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Escapes the characters that would change the meaning of a Markdown table cell. */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+!|<>]/g, (c) => `\\${c}`);
}

const DAEMON_WORDS: Record<DaemonState, string> = {
  idle: 'not running (starts on first preview)',
  starting: 'starting…',
  ready: 'connected',
  restarting: 'restarting…',
  failed: 'failed',
};

export function statusTooltip(input: StatusInput): string {
  const lines: string[] = [];
  let daemon = `**SegLens** · daemon ${DAEMON_WORDS[input.daemon]}`;
  if (input.daemon === 'ready') {
    const bits = [input.shared === false ? 'per-window' : 'shared'];
    if (input.pid !== undefined) bits.push(`pid ${input.pid}`);
    daemon += ` (${bits.join(', ')})`;
  }
  lines.push(daemon, '');
  if (input.daemon === 'failed' && input.daemonError) lines.push(`$(error) ${escapeMarkdown(input.daemonError)}`, '');
  if (input.modes.length > 0) {
    lines.push('| | Mode | State | Typical | Last |', '|---|---|---|---|---|');
    for (const m of input.modes) {
      const state = input.daemon === 'ready' ? m.state : input.daemon === 'failed' ? 'failed' : 'cold';
      const current = m.id === input.mode ? '$(check)' : '';
      const err = state === 'failed' && m.error ? ` (${escapeMarkdown(m.error)})` : '';
      lines.push(`| ${current} | **${escapeMarkdown(m.id)}** ${escapeMarkdown(m.label)} | ${ICONS[state]} ${state}${err} | ${formatMs(m.typicalMs)} | ${formatMs(m.lastInferenceMs)} |`);
    }
    lines.push('');
  } else {
    lines.push(`Mode: **${escapeMarkdown(input.mode)}**`, '');
  }
  lines.push(`Execution provider: ${input.provider ? escapeMarkdown(input.provider) : '–'}`, '');
  lines.push(
    `Last inference: ${input.lastInference ? `${escapeMarkdown(input.lastInference.mode)} in ${formatMs(input.lastInference.ms)}` : '–'}`,
    '',
  );
  lines.push(STATUS_COMMANDS.map(([label, command, hint]) => `[${label}](command:${command} "${hint}")`).join(' · '));
  return lines.join('\n');
}
