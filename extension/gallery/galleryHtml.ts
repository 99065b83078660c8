// The gallery webview's page: the shared strict CSP with a nonce (extension/util/webviewPage.ts),
// settings in a data attribute, the grid's container and the controls main.ts wires.
import * as vscode from 'vscode';
import type { GallerySettings } from '../../media/webview/shared/galleryMessages';
import { webviewDocument } from '../util/webviewPage';

export function galleryHtml(webview: vscode.Webview, extensionUri: vscode.Uri, settings: GallerySettings): string {
  return webviewDocument(webview, extensionUri, {
    script: ['dist', 'gallery.js'],
    style: ['media', 'webview', 'gallery', 'gallery.css'],
    title: 'SegLens Gallery',
    settings,
    body: GALLERY_BODY,
  });
}

const GALLERY_BODY = `<header class="toolbar" role="toolbar" aria-label="Gallery controls">
  <div class="group"><span id="folder" class="name"></span><span class="muted">mode</span><span id="mode"></span></div>
  <div class="group">
    <label for="sort">Sort</label>
    <select id="sort">
      <option value="name">Name</option>
      <option value="score">Score (worst first)</option>
      <option value="share">Class share</option>
      <option value="time">Inference time</option>
      <option value="f1">F1 (worst first)</option>
    </select>
    <label for="filter">Show</label>
    <select id="filter">
      <option value="all">All</option>
      <option value="failed">Failed</option>
      <option value="gt">With ground truth</option>
    </select>
    <span id="count" class="muted" aria-live="polite"></span>
  </div>
  <div class="group">
    <button id="rerun" type="button" class="secondary" title="Run the folder again (new and changed images only)">Re-run</button>
    <button id="exportReport" type="button" title="Write the report as CSV and JSON">Export report</button>
    <button id="exportMasks" type="button" class="secondary" title="Write masks, colour masks, cutouts, binary masks or COCO for the folder">Export masks…</button>
  </div>
</header>
<div id="progress" class="progress" role="status" aria-live="polite">
  <progress id="progressBar" value="0" max="1"></progress>
  <span id="progressText"></span>
  <button id="cancel" type="button" class="secondary">Cancel</button>
</div>
<details class="summary" open>
  <summary id="summaryLine">No results yet</summary>
  <div id="apBlock" hidden><strong id="apLine"></strong> <span id="apNotes" class="muted"></span><table id="apTable"><thead><tr><th>Class</th><th>AP</th></tr></thead><tbody id="apClasses"></tbody></table></div>
  <table id="classTable" hidden><thead><tr><th>Class</th><th>IoU</th></tr></thead><tbody id="classes"></tbody></table>
  <div id="confusionBlock" hidden><span class="muted">Confusion matrix (share of each ground-truth class's pixels)</span><table id="confusion" class="confusion"></table></div>
  <div id="worstBlock" hidden><span class="muted" id="worstBy">Worst images</span><ol id="worst"></ol></div>
</details>
<div id="notice" class="notice" role="status"></div>
<main id="grid" tabindex="0" role="listbox" aria-label="Images of the folder (arrows move, Enter opens)"></main>`;
