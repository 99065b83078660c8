import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { StatusInput, statusText, escapeMarkdown, formatMs, STATUS_COMMANDS } from '../../extension/status/statusText';

const modes = (state: 'cold' | 'loading' | 'warming' | 'warm' | 'failed'): StatusInput['modes'] => [
  { id: 'fast', label: 'Fast', state: 'cold', typicalMs: 425 },
  { id: 'balanced', label: 'Balanced', state, typicalMs: 960, lastInferenceMs: 950 },
];
const input = (over: Partial<StatusInput>): StatusInput => ({ daemon: 'ready', mode: 'balanced', modes: modes('cold'), ...over });

test('warm mode shows a flame', () => {
  const v = statusText(input({ modes: modes('warm') }));
  assert.equal(v.text, '$(flame) balanced · warm');
  assert.equal(v.error, false);
  assert.equal(v.modeState, 'warm');
});

test('loading and warming spin', () => {
  assert.equal(statusText(input({ modes: modes('warming') })).text, '$(loading~spin) balanced · warming');
  assert.equal(statusText(input({ modes: modes('loading') })).text, '$(loading~spin) balanced · loading');
});

test('cold mode, and no daemon at all, show an empty circle', () => {
  assert.equal(statusText(input({})).text, '$(circle-outline) balanced · cold');
  const idle = statusText(input({ daemon: 'idle', modes: modes('warm') }));
  assert.equal(idle.text, '$(circle-outline) balanced · cold', 'without a connection nothing is known to be warm');
});

test('a failed mode or daemon shows the error colour', () => {
  const mode = statusText(input({ modes: modes('failed') }));
  assert.equal(mode.text, '$(error) balanced · failed');
  assert.equal(mode.error, true);
  const daemon = statusText(input({ daemon: 'failed', daemonError: 'crashed 5 times' }));
  assert.equal(daemon.text, '$(error) balanced · failed');
  assert.equal(daemon.error, true);
  assert.match(daemon.tooltip, /crashed 5 times/);
});

test('while the daemon restarts the item says so', () => {
  const v = statusText(input({ daemon: 'restarting', modes: modes('warm') }));
  assert.equal(v.text, '$(loading~spin) SegLens · restarting');
  assert.equal(v.error, false);
});

test('an unknown current mode counts as cold', () => {
  assert.equal(statusText(input({ mode: 'custom1' })).text, '$(circle-outline) custom1 · cold');
});

test('the tooltip lists every mode, provider, last inference and the command links', () => {
  const v = statusText(input({ modes: modes('warm'), provider: 'cpu', lastInference: { mode: 'balanced', ms: 950 }, pid: 42 }));
  assert.match(v.tooltip, /\*\*fast\*\* Fast \| \$\(circle-outline\) cold \| 425 ms/);
  assert.match(v.tooltip, /\$\(check\) \| \*\*balanced\*\* Balanced \| \$\(flame\) warm \| 960 ms \| 950 ms/);
  assert.match(v.tooltip, /Execution provider: cpu/);
  assert.match(v.tooltip, /Last inference: balanced in 950 ms/);
  assert.match(v.tooltip, /pid 42/);
  for (const [label, command] of STATUS_COMMANDS) assert.ok(v.tooltip.includes(`[${label}](command:${command}`), label);
});

test('helpers', () => {
  assert.equal(formatMs(undefined), '–');
  assert.equal(formatMs(12.4), '12 ms');
  assert.equal(formatMs(2940), '2.9 s');
  assert.equal(escapeMarkdown('a|b*c'), 'a\\|b\\*c');
});
