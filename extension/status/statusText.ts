// What the status bar says, as a pure function of the state, so it is unit-tested without
// VS Code: the item text (with codicons), whether it shows the error colour, and the Markdown
// of its tooltip (every mode's state, provider, last inference, command links).
import { MODE_ID_RE } from '../../daemon/api/constants';
import type { ModeState } from '../../daemon/api/protocol';

/** The supervisor's view of the daemon connection. */
export type DaemonState = 'idle' | 'starting' | 'ready' | 'restarting' | 'failed';

export interface ModeView {
  id: string;
  label: string;
  state: ModeState;
  typicalMs?: number;
  /** typicalMs is the catalogue's estimate, not yet measured on this machine (issue #14). */
  typicalEstimated?: boolean;
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
  /** The tooltip's `isTrusted`: only SegLens's own commands may run from its links. */
  trust: { enabledCommands: string[] };
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

const MODE_STATES: readonly ModeState[] = ['cold', 'loading', 'warming', 'warm', 'failed'];
const DAEMON_STATES: readonly DaemonState[] = ['idle', 'starting', 'ready', 'restarting', 'failed'];
/** Longest daemon-provided text shown (labels, errors, provider). */
const MAX_TEXT = 300;

const finite = (n: unknown): number | undefined => (typeof n === 'number' && Number.isFinite(n) ? n : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v.slice(0, MAX_TEXT) : undefined);

/**
 * Most of the input comes from the daemon, which is only as trustworthy as the socket it
 * listens on (issue #13): states must be known states, the pid an integer, mode ids match the
 * id pattern (other rows are dropped), numbers numbers, strings bounded.
 */
export function sanitizeStatusInput(input: StatusInput): StatusInput {
  const pid = input.pid;
  const last = input.lastInference;
  return {
    daemon: DAEMON_STATES.includes(input.daemon) ? input.daemon : 'failed',
    mode: text(input.mode) ?? '',
    modes: (Array.isArray(input.modes) ? input.modes : [])
      .filter((m) => typeof m?.id === 'string' && MODE_ID_RE.test(m.id))
      .map((m) => ({
        id: m.id,
        label: text(m.label) ?? m.id,
        state: MODE_STATES.includes(m.state) ? m.state : 'cold',
        typicalMs: finite(m.typicalMs),
        typicalEstimated: m.typicalEstimated === true,
        lastInferenceMs: finite(m.lastInferenceMs),
        error: text(m.error),
      })),
    provider: text(input.provider),
    lastInference: last && typeof last.mode === 'string' && MODE_ID_RE.test(last.mode) && finite(last.ms) !== undefined ? { mode: last.mode, ms: last.ms } : undefined,
    daemonError: text(input.daemonError),
    shared: input.shared === false ? false : input.shared === undefined ? undefined : true,
    pid: Number.isSafeInteger(pid) && (pid as number) > 0 ? pid : undefined,
  };
}

/** The state of the current mode as far as this window knows it. */
export function currentModeState(input: StatusInput): ModeState {
  if (input.daemon === 'failed') return 'failed';
  if (input.daemon === 'idle') return 'cold';
  return input.modes.find((m) => m.id === input.mode)?.state ?? 'cold';
}

export function statusText(raw: StatusInput): StatusView {
  const input = sanitizeStatusInput(raw);
  const tooltip = statusTooltip(input);
  const trust = { enabledCommands: STATUS_COMMANDS.map(([, command]) => command) };
  if (input.daemon === 'restarting') {
    return { text: '$(loading~spin) SegLens · restarting', error: false, modeState: 'unknown', tooltip, trust };
  }
  if (input.daemon === 'starting') {
    return { text: `$(loading~spin) ${input.mode} · starting`, error: false, modeState: 'loading', tooltip, trust };
  }
  const state = currentModeState(input);
  return { text: `${ICONS[state]} ${input.mode} · ${state}`, error: state === 'failed', modeState: state, tooltip, trust };
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Escapes every ASCII punctuation character (links, HTML, emphasis, table cells, `$(icon)`) and
 * folds line breaks and other control characters into spaces, so text shows as text.
 */
export function escapeMarkdown(s: string): string {
  return String(s)
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/[!-/:-@[-`{-~]/g, (c) => `\\${c}`);
}

const DAEMON_WORDS: Record<DaemonState, string> = {
  idle: 'not running (starts on first preview)',
  starting: 'starting…',
  ready: 'connected',
  restarting: 'restarting…',
  failed: 'failed',
};

/** The tooltip's Markdown; call with sanitized input (statusText does). */
export function statusTooltip(input: StatusInput): string {
  const lines: string[] = [];
  let daemon = `**SegLens** · daemon ${DAEMON_WORDS[input.daemon]}`;
  if (input.daemon === 'ready') {
    const bits = [input.shared === false ? 'per-window' : 'shared'];
    if (Number.isSafeInteger(input.pid)) bits.push(`pid ${input.pid}`);
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
      lines.push(`| ${current} | **${escapeMarkdown(m.id)}** ${escapeMarkdown(m.label)} | ${ICONS[state]} ${state}${err} | ${formatMs(m.typicalMs)}${m.typicalEstimated && m.typicalMs !== undefined ? ' (estimate)' : ''} | ${formatMs(m.lastInferenceMs)} |`);
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
