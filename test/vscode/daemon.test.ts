/// <reference types="mocha" />
// The status bar against the real shared daemon: cold → warming → warm, switching modes,
// forced re-warm counted in the daemon's metrics, status document.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { WarmupResult } from '../../daemon/api/protocol';
import type { SegLensState } from '../../extension/api';
import { api, metric, setting, waitForState } from './helpers';

export function register(): void {
  suite('SegLens daemon and status bar', () => {
    suiteSetup(async () => {
      // Short idle exit so the daemon these tests start does not outlive the test run long.
      await setting('daemon.idleExitMinutes', 0.25);
      await setting('mode', 'text');
    });
    suiteTeardown(async () => {
      await setting('mode', undefined);
    });

    test('status bar goes cold → loading/warming → warm on switching to a mode', async () => {
      const a = await api();
      // Start from a cold mode even if a daemon from an earlier run is still warm.
      const client = a.daemonClient();
      if (client) {
        await client.unload('text');
        await waitForState(a, (s) => s.modes.text === 'cold', 10_000, 'text cold after unload');
      }
      const seen: SegLensState[] = [a.getState()];
      const sub = a.onDidChangeState((s) => seen.push(s));
      try {
        await vscode.commands.executeCommand('seglens.switchMode', 'text');
        const s = await waitForState(a, (x) => x.modeState === 'warm', 60_000, 'text warm');
        assert.equal(s.statusText, '$(flame) text · warm');
      } finally {
        sub.dispose();
      }
      assert.equal(seen[0].modeState === 'cold' || seen[0].modeState === 'unknown', true, `first state ${seen[0].statusText}`);
      assert.ok(
        seen.some((s) => s.statusText.startsWith('$(loading~spin)')),
        `a spinning state was shown: ${seen.map((s) => s.statusText).join(' | ')}`,
      );
      assert.ok(seen.some((s) => s.modes.text === 'loading' || s.modes.text === 'warming'), 'the daemon reported loading or warming');
      assert.equal(a.getState().daemon, 'ready');
      assert.equal(vscode.workspace.getConfiguration('seglens').get('mode'), 'text');
    });

    test('switching mode warms the new one and keeps the old one warm', async () => {
      const a = await api();
      await vscode.commands.executeCommand('seglens.switchMode', 'fast');
      const s = await waitForState(a, (x) => x.mode === 'fast' && x.modeState === 'warm', 120_000, 'fast warm');
      assert.equal(s.statusText, '$(flame) fast · warm');
      assert.equal(s.modes.text, 'warm', 'text stays warm after switching away');
      const status = await a.daemonClient()!.status();
      assert.equal(status.modes.find((m) => m.mode === 'fast')?.state, 'warm');
      // The daemon knows which mode this window shows: that one is kept loaded while idle.
      assert.equal(status.modes.find((m) => m.mode === 'fast')?.selected, true, 'fast is selected by this window');
      await vscode.commands.executeCommand('seglens.switchMode', 'text');
      await waitForState(a, (x) => x.mode === 'text' && x.modeState === 'warm', 30_000, 'back to text');
      const deadline = Date.now() + 10_000;
      let selected: boolean | undefined;
      while (Date.now() < deadline && !selected) {
        selected = (await a.daemonClient()!.status()).modes.find((m) => m.mode === 'text')?.selected;
        if (!selected) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(selected, true, 'after switching back, text is the selected one');
    });

    test('Force Re-warm runs a warm-up the daemon counts', async () => {
      const a = await api();
      const client = a.daemonClient()!;
      const before = metric((await client.metrics()).text, 'seglens_warmup_runs_total', 'text');
      const r = await vscode.commands.executeCommand<WarmupResult>('seglens.rewarm');
      assert.ok(r, 're-warm returned its result');
      assert.equal(r.ran, true);
      assert.equal(r.mode, 'text');
      // seglens.warmup.iterations reaches the daemon (default 1: one run takes the first-run cost away).
      const configured = vscode.workspace.getConfiguration('seglens').get<number>('warmup.iterations');
      assert.equal(vscode.workspace.getConfiguration('seglens').inspect<number>('warmup.iterations')?.defaultValue, 1);
      assert.equal(r.iterations, configured, `the daemon ran ${r.iterations} dummy inferences, the setting says ${configured}`);
      const after = metric((await client.metrics()).text, 'seglens_warmup_runs_total', 'text');
      assert.equal(after, before + 1, `seglens_warmup_runs_total{mode="text"} ${before} → ${after}`);
      assert.equal(a.getState().modeState, 'warm');
    });

    test('a per-window daemon (seglens.daemon.shared: false) is started, used and stopped', async () => {
      const a = await api();
      const sharedPid = a.getState().pid;
      await setting('daemon.shared', false);
      try {
        await vscode.commands.executeCommand('seglens.restartDaemon');
        await waitForState(a, (s) => s.daemon === 'ready', 30_000, 'per-window daemon ready');
        const client = a.daemonClient()!;
        assert.ok(client.child, 'the per-window daemon is this window\'s child process');
        assert.notEqual(a.getState().pid, sharedPid);
        assert.equal((await client.status()).clients, 1);
        assert.equal(a.getState().modes.text, 'cold', 'a new daemon starts cold');
        await vscode.commands.executeCommand('seglens.switchMode', 'text');
        await waitForState(a, (s) => s.modeState === 'warm', 60_000, 'text warm on the per-window daemon');
        await setting('daemon.shared', true);
        await vscode.commands.executeCommand('seglens.restartDaemon');
        await waitForState(a, (s) => s.daemon === 'ready' && a.daemonClient() !== client, 30_000, 'back on a shared daemon');
        assert.equal(a.daemonClient()!.child, undefined, 'connected to the shared daemon over its socket');
        assert.ok(client.child!.exitCode !== null || client.child!.signalCode !== null, 'the per-window daemon was stopped');
      } finally {
        await setting('daemon.shared', undefined);
      }
    });

    test('Show Status opens a read-only report of every mode', async () => {
      await vscode.commands.executeCommand('seglens.showStatus');
      const doc = vscode.window.activeTextEditor?.document;
      assert.ok(doc, 'a document is shown');
      assert.equal(doc.uri.scheme, 'seglens');
      const text = doc.getText();
      for (const m of ['fast', 'balanced', 'accurate', 'sota', 'text']) assert.match(text, new RegExp(`\\b${m}\\b`));
      assert.match(text, /memory\s+\d+/);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });
  });
}
