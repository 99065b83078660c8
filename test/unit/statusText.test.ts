import { test } from 'node:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
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

// Issue #13, item 2: the tooltip shows what a daemon said, and a fake daemon must not be able to
// put a link, HTML or a command in it.
const EVIL_LINK = '[run me](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22id%5Cn%22%7D)';
const hostile = (): StatusInput =>
  ({
    daemon: 'ready',
    mode: 'balanced',
    pid: `1) ${EVIL_LINK} (`,
    provider: `cpu\n\n${EVIL_LINK}`,
    lastInference: { mode: `x](command:evil)`, ms: 5 },
    modes: [
      { id: 'balanced', label: `<img src=x onerror=alert(1)> ${EVIL_LINK}`, state: `warm ${EVIL_LINK}`, typicalMs: '](command:evil)', error: '<script>alert(1)</script>' },
      { id: `evil](command:evil.run)`, label: 'Evil', state: 'warm' },
      { id: 'text', label: 'Text', state: 'failed', error: `boom\n| ${EVIL_LINK} | <b>x</b>` },
    ],
  }) as unknown as StatusInput;

/** Characters of `md` in `chars` that are not backslash-escaped (an even run of backslashes before them). */
function unescaped(md: string, chars: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < md.length; i++) {
    if (!chars.includes(md[i])) continue;
    let n = 0;
    while (i - n - 1 >= 0 && md[i - n - 1] === '\\') n++;
    if (n % 2 === 0) found.push(`${md[i]} at ${i}: …${md.slice(Math.max(0, i - 20), i + 20)}…`);
  }
  return found;
}

const OWN_ICONS = /\$\((flame|loading~spin|circle-outline|error|check)\)/g;

test('hostile daemon fields: no link, HTML or command gets into the tooltip; bad values are dropped', () => {
  const v = statusText(hostile());
  const lines = v.tooltip.split('\n');
  const links = lines.pop()!;
  assert.equal(links, STATUS_COMMANDS.map(([l, c, h]) => `[${l}](command:${c} "${h}")`).join(' · '), 'our own links, last');
  const body = lines.join('\n').replace(OWN_ICONS, '');
  assert.deepEqual(unescaped(body, '[]<>`'), [], 'every bracket, angle bracket and backtick from the daemon is escaped: no link, autolink or HTML');
  assert.ok(!/\n\s*\[/.test(body) && !v.tooltip.includes('\n\n[run'), 'a line break in a field does not start a new block');
  assert.equal(v.text, '$(circle-outline) balanced · cold', 'an unknown state counts as cold');
  assert.doesNotMatch(v.tooltip, /pid/, 'a pid that is not an integer is not shown');
  assert.doesNotMatch(v.tooltip, /Evil/, 'a mode whose id does not match the id pattern is dropped');
  assert.match(v.tooltip, /Last inference: –/, 'an invalid last-inference mode is dropped');
  assert.match(v.tooltip, /\*\*text\*\* Text \| \$\(error\) failed \(boom \\\| \\\[run me\\\]/, 'errors are shown, escaped, on one line');
  assert.deepEqual(v.trust, { enabledCommands: STATUS_COMMANDS.map(([, c]) => c) });
});

test('the status bar item trusts only SegLens commands in its tooltip (not isTrusted = true)', async () => {
  const { installFakeVscode, statusBarItems, FakeMarkdownString } = await import('../helpers/fakeVscodeModule');
  installFakeVscode();
  const { StatusBar } = await import('../../extension/status/statusBar');
  const h = hostile();
  const none = () => ({ dispose: () => undefined });
  const supervisor = { state: 'ready', lastError: undefined, connection: { shared: true, init: { pid: h.pid } }, onDidChangeState: none };
  const store = {
    modeInfos: h.modes.map((m) => ({ id: m.id, label: m.label, typicalMs: m.typicalMs })),
    status: (id: string) => h.modes.find((m) => m.id === id),
    provider: h.provider,
    lastInference: h.lastInference,
    onDidChange: none,
  };
  const bar = new StatusBar(supervisor as never, store as never);
  const item = statusBarItems.at(-1)!;
  assert.ok(item.tooltip instanceof FakeMarkdownString);
  const declared = new Set(
    (JSON.parse(fs.readFileSync(path.join(process.env.SEGLENS_ROOT ?? '.', 'package.json'), 'utf8')).contributes.commands as { command: string }[]).map((c) => c.command),
  );
  const trust = item.tooltip.isTrusted;
  assert.notEqual(trust, true, 'not every command');
  assert.ok(trust && typeof trust === 'object' && trust.enabledCommands.length > 0);
  for (const c of trust.enabledCommands) assert.ok(declared.has(c), `${c} is one of SegLens's own commands`);
  assert.deepEqual(unescaped(item.tooltip.value.split('\n').slice(0, -1).join('\n').replace(OWN_ICONS, ''), '[]<>'), []);
  bar.dispose();
});

test('the typical column says when it is only an estimate (no steady time measured on this machine yet)', () => {
  const v = statusText(
    input({
      modes: [
        { id: 'fast', label: 'Fast', state: 'warm', typicalMs: 512, typicalEstimated: false },
        { id: 'balanced', label: 'Balanced', state: 'cold', typicalMs: 960, typicalEstimated: true },
      ],
    }),
  );
  assert.match(v.tooltip, /\*\*fast\*\* Fast \| [^|]+ \| 512 ms \|/);
  assert.match(v.tooltip, /\*\*balanced\*\* Balanced \| [^|]+ \| 960 ms \(estimate\) \|/);
});
