// The preview webview's page: a strict CSP (nothing but our nonce'd script, images from the
// webview's own origin, data: and blob:, our stylesheet), settings in a data attribute.
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { PanelSettings } from '../../media/webview/messages';

export function previewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, settings: PanelSettings): string {
  const nonce = crypto.randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'webview', 'preview.css'));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data: blob:`,
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const data = escapeAttr(JSON.stringify(settings));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>SegLens Preview</title>
</head>
<body data-settings="${data}">
<header class="toolbar" role="toolbar" aria-label="Preview controls">
  <div class="group nav">
    <button id="prev" type="button" title="Previous image (Left Arrow)" aria-label="Previous image">&#x2039;</button>
    <span id="position" class="muted" aria-live="polite"></span>
    <button id="next" type="button" title="Next image (Right Arrow)" aria-label="Next image">&#x203A;</button>
    <span id="name" class="name"></span>
  </div>
  <div class="group">
    <label for="mode">Mode</label>
    <select id="mode"></select>
  </div>
  <div class="group" role="radiogroup" aria-label="View">
    <label class="radio"><input type="radio" name="view" value="overlay" checked> Overlay</label>
    <label class="radio"><input type="radio" name="view" value="mask"> Mask</label>
    <label class="radio"><input type="radio" name="view" value="side"> Side by side</label>
  </div>
  <div class="group">
    <label for="opacity">Opacity</label>
    <input id="opacity" type="range" min="0" max="1" step="0.05">
    <output id="opacityValue" for="opacity"></output>
  </div>
  <div class="group">
    <button id="rerun" type="button" title="Segment this image again">Re-run</button>
    <button id="save" type="button" disabled title="Save the mask as a PNG file">Save mask</button>
  </div>
</header>
<div id="busy" class="busy" role="status" aria-live="polite" hidden><div class="bar"></div><span id="busyText"></span></div>
<div id="error" class="error" role="alert" hidden></div>
<main id="stage" class="stage view-overlay">
  <figure class="pane" id="paneMain">
    <img id="image" alt="">
    <canvas id="overlay" class="overlay" aria-hidden="true"></canvas>
  </figure>
  <figure class="pane" id="paneSide">
    <img id="imageSide" alt="">
    <canvas id="overlaySide" class="overlay" aria-hidden="true"></canvas>
  </figure>
</main>
<footer class="info">
  <div id="timings" class="timings" aria-live="polite"></div>
  <ul id="legend" class="legend" aria-label="Classes"></ul>
  <div id="legendTools" class="legend-tools" hidden>
    <span class="muted" id="legendHint">click: hide · alt+click: solo</span>
    <button id="showAll" type="button" class="secondary" title="Show every class of this result">Show all</button>
  </div>
</footer>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
