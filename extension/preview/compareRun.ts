// The second mode of a comparison: run on the panel's image through the same daemon client
// (so the same warm registry: a warm mode answers at once, a cold one loads and warms, and
// its progress is shown), kept until the image or the mode changes.
import * as vscode from 'vscode';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import type { ModeStatus, SegmentResult } from '../../daemon/api/protocol';
import type { ToWebview } from '../../media/webview/shared/messages';
import { phaseMessage } from '../models/modeProgress';
import { errorInfo, imageSource, resultPayload, segmentExtras } from './previewData';
import type { PreviewDeps } from './previewData';

export interface ComparedResult {
  uri: vscode.Uri;
  mode: string;
  result: SegmentResult;
}

export class CompareRunner implements vscode.Disposable {
  mode: string | undefined;
  last: ComparedResult | undefined;
  private run = 0;
  private running = false;
  private cancel: CancellationTokenSource | undefined;

  constructor(
    private readonly deps: PreviewDeps,
    private readonly post: (m: ToWebview) => void,
    private readonly onResult: (r: ComparedResult) => void,
  ) {}

  /** Compare with `mode` from now on (undefined: stop). */
  select(mode: string | undefined): void {
    if (mode === this.mode) return;
    this.mode = mode;
    this.last = undefined;
    this.stop();
  }

  /** Forgets the result (a new image, or the image changed on disk). */
  reset(): void {
    this.last = undefined;
    this.stop();
  }

  /** The compared mode's state changed in the daemon: say so while it prepares. */
  onModelState(s: ModeStatus | undefined): void {
    const phase = s && s.mode === this.mode ? phaseMessage(s.state) : undefined;
    if (phase && this.running && this.mode) this.post({ type: 'compareState', mode: this.mode, message: phase });
  }

  /** Runs the compared mode on `uri`, or re-sends the result it already has for it. */
  async start(uri: vscode.Uri): Promise<void> {
    const mode = this.mode;
    if (!mode) return;
    if (this.last && this.last.mode === mode && this.last.uri.toString() === uri.toString()) {
      this.post({ type: 'compareResult', result: resultPayload(this.deps.store, uri, this.last.result) });
      return;
    }
    const run = ++this.run;
    this.cancel?.cancel();
    const cancel = (this.cancel = new CancellationTokenSource());
    const stale = () => run !== this.run;
    const state = (message?: string, error?: boolean) => this.post({ type: 'compareState', mode, message, error });
    this.running = true;
    try {
      const client = await this.deps.supervisor.ensureClient();
      const { store } = this.deps;
      if (store.state(mode) !== 'warm') {
        state(phaseMessage(store.state(mode)) ?? 'Loading model…');
        await client.ensureReady(mode);
        if (stale()) return;
      }
      state('Segmenting…');
      const result = await client.segment({ mode, image: await imageSource(uri), ...segmentExtras(store, mode, false) }, cancel.token);
      if (stale()) return;
      this.last = { uri, mode, result };
      state(undefined);
      this.post({ type: 'compareResult', result: resultPayload(store, uri, result) });
      this.onResult(this.last);
    } catch (err) {
      if (stale()) return;
      const { message, code } = errorInfo(err);
      this.deps.log.warn(`comparison of ${uri.toString()} with ${mode} failed${code !== undefined ? ` (${code})` : ''}: ${message}`);
      state(message, true);
    } finally {
      if (run === this.run) this.running = false;
    }
  }

  private stop(): void {
    this.run++;
    this.running = false;
    this.cancel?.cancel();
  }

  dispose(): void {
    this.stop();
  }
}
