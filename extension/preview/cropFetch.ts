// Full-resolution crops for the page (issue 16): zoomed to 1:1 or more on a display image the
// daemon scaled down, the page asks for the region it shows (debounced); this fetches it with
// seglens/displayCrop, one at a time: a newer request cancels the one in flight.
import * as vscode from 'vscode';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import type { ToWebview } from '../../media/webview/shared/messages';
import type { DisplayRegion as Region } from '../../daemon/api/protocol';
import { errorInfo, imageSource, statePath } from './previewData';
import type { PreviewDeps } from './previewData';

export class CropFetcher implements vscode.Disposable {
  private cancel: CancellationTokenSource | undefined;

  constructor(
    private readonly deps: PreviewDeps,
    private readonly post: (m: ToWebview) => void,
  ) {}

  async fetch(uri: vscode.Uri, region: Region): Promise<void> {
    this.cancel?.cancel();
    const cancel = (this.cancel = new CancellationTokenSource());
    try {
      const client = await this.deps.supervisor.ensureClient();
      const r = await client.displayCrop({ image: await imageSource(uri), region }, cancel.token);
      if (cancel.token.isCancellationRequested) return;
      this.post({ type: 'displayCrop', path: statePath(uri), region: r.region, data: r.data, mimeType: r.mimeType });
    } catch (err) {
      // The page keeps the scaled-down picture: nothing is lost but detail.
      if (!cancel.token.isCancellationRequested) this.deps.log.debug(`display crop of ${uri.fsPath} not shown: ${errorInfo(err).message}`);
    }
  }

  dispose(): void {
    this.cancel?.cancel();
  }
}
