// The preview webview's page: a strict CSP (nothing but our nonce'd script, images from the
// webview's own origin, data: and blob:, our stylesheet), settings in a data attribute.
import * as vscode from 'vscode';
import { webviewDocument } from '../util/webviewPage';
import type { PanelSettings } from '../../media/webview/shared/messages';

export function previewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, settings: PanelSettings): string {
  return webviewDocument(webview, extensionUri, {
    script: ['dist', 'webview.js'],
    style: ['media', 'webview', 'preview.css'],
    title: 'SegLens Preview',
    settings,
    body: [TOOLBAR, ...(settings.refine ? [REFINE_BAR] : []), INSPECTION_BAR, STAGE].join('\n'),
  });
}

// The page's markup in three parts (four in the refine editor), as media/webview/page.ts (and
// media/webview/refine/tools.ts) look their elements up by id.
const TOOLBAR = `<header class="toolbar" role="toolbar" aria-label="Preview controls">
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
  <div class="group zoom" role="group" aria-label="Zoom">
    <button id="zoomOut" type="button" class="secondary" title="Zoom out (-)" aria-label="Zoom out">&#x2212;</button>
    <output id="zoomValue" aria-live="polite" title="Zoom">100%</output>
    <button id="zoomIn" type="button" class="secondary" title="Zoom in (+)" aria-label="Zoom in">+</button>
    <button id="zoomFit" type="button" class="secondary" title="Fit to the panel (0)">Fit</button>
    <button id="zoom1" type="button" class="secondary" title="Actual size, one image pixel per screen pixel (1)">1:1</button>
  </div>
  <div class="group">
    <button id="rerun" type="button" title="Segment this image again">Re-run</button>
    <button id="save" type="button" disabled title="Save the mask as a PNG file">Save mask</button>
    <button id="wholeFolder" type="button" class="secondary" title="Segment every image of this folder in a gallery (SegLens: Segment Folder…)">Whole folder</button>
  </div>
</header>`;

const INSPECTION_BAR = `<div class="toolbar secondary-bar" role="toolbar" aria-label="Inspection">
  <div class="group" role="radiogroup" aria-label="Mask drawing (M)" id="matteGroup">
    <label class="radio"><input type="radio" name="matte" value="soft" checked> Soft</label>
    <label class="radio"><input type="radio" name="matte" value="hard"> Hard</label>
    <label class="radio"><input type="radio" name="matte" value="outline"> Outline</label>
  </div>
  <div class="group" id="thresholdGroup">
    <label for="threshold">Threshold</label>
    <input id="threshold" type="range" min="0" max="1" step="0.01" title="Foreground where alpha &#x2265; threshold ([ and ])">
    <output id="thresholdValue" for="threshold"></output>
    <span id="share" class="muted"></span>
  </div>
  <div class="group" id="scoreGroup" hidden>
    <label for="minScore">Min score</label>
    <input id="minScore" type="range" min="0" max="1" step="0.01" title="Instances scoring at least this are shown">
    <output id="minScoreValue" for="minScore"></output>
  </div>
  <div class="group">
    <label for="compareMode">Compare with</label>
    <select id="compareMode" title="Run a second mode on this image (C)"></select>
    <span role="radiogroup" aria-label="Comparison view (D)" id="compareViews" class="group">
      <label class="radio"><input type="radio" name="compareView" value="split" checked> Split</label>
      <label class="radio"><input type="radio" name="compareView" value="difference"> Difference</label>
    </span>
    <span id="compareState" class="muted" role="status"></span>
    <output id="iou" class="iou"></output>
  </div>
  <div class="group" id="gtGroup" hidden>
    <label class="radio"><input type="checkbox" id="gtView" checked> vs ground truth</label>
    <output id="gtScores" class="iou"></output>
  </div>
</div>`;

// The refine editor's tools (issue 22); keys in package.json (seglens.refine.*).
const REFINE_BAR = `<div class="toolbar refine-bar" role="toolbar" aria-label="Refine tools" id="refineBar" hidden>
  <div class="group" role="radiogroup" aria-label="Tool">
    <label class="radio" title="No tool: drag pans, wheel zooms (Escape)"><input type="radio" name="tool" value="none" checked> Pan</label>
    <label class="radio" title="Prompt the model: click a positive point, Alt+click a negative one, drag a box (P)" hidden><input type="radio" name="tool" value="prompt"> Prompt</label>
    <label class="radio" title="Drag a box around a subject: the model runs on it (R)"><input type="radio" name="tool" value="box"> Box</label>
    <label class="radio" title="Click keeps a region, Shift+click keeps another, Alt+click removes one; semantic: relabels it (K)"><input type="radio" name="tool" value="keep"> Keep/remove</label>
    <label class="radio" title="Paint foreground, background or a class (B)"><input type="radio" name="tool" value="brush"> Brush</label>
    <label class="radio" title="Restore the model's output under the stroke (E)"><input type="radio" name="tool" value="eraser"> Eraser</label>
  </div>
  <div class="group">
    <label class="radio" title="After a box, everything outside it becomes background (O)"><input type="checkbox" id="clearOutside" checked> Outside box &#x2192; background</label>
  </div>
  <div class="group" id="paintGroup" role="radiogroup" aria-label="Paint (X swaps)">
    <label class="radio"><input type="radio" name="paint" value="fg" checked> Foreground</label>
    <label class="radio"><input type="radio" name="paint" value="bg"> Background</label>
  </div>
  <div class="group" id="classGroup" hidden>
    <label for="refineClass">Class</label>
    <select id="refineClass" title="The class the brush paints and a click relabels to"></select>
  </div>
  <div class="group">
    <label for="brushSize">Size</label>
    <input id="brushSize" type="range" min="1" max="400" step="1" value="24" title="Brush diameter in image pixels (Shift+[ and Shift+], Alt+wheel)">
    <output id="brushSizeValue" for="brushSize"></output>
  </div>
  <div class="group">
    <button id="refineReset" type="button" class="secondary" title="Back to the model's output (undoable)">Reset</button>
    <button id="refineExport" type="button" class="secondary" title="Save the edited mask as mask, binary or cutout">Save as&#x2026;</button>
    <button id="refineSaveGt" type="button" title="Save as this image's ground truth (Ctrl+S)">Save as ground truth</button>
  </div>
  <div class="group prompt-group" id="promptGroup" hidden>
    <span id="promptStatus" class="prompt-status" role="status" aria-live="polite"></span>
    <ul id="promptList" class="prompt-list" aria-label="Prompts (each with a remove button)"></ul>
    <button id="promptCandidate" type="button" class="secondary" title="Show the next of the model's candidate masks (Tab on the image)" hidden>Next candidate</button>
  </div>
  <span id="refineHint" class="muted" role="status"></span>
</div>`;

const STAGE = `<div id="busy" class="busy" role="status" aria-live="polite" hidden><div class="bar"></div><span id="busyText"></span></div>
<div id="error" class="error" role="alert" hidden></div>
<main id="stage" class="stage view-overlay">
  <figure class="pane" id="paneMain" tabindex="0" aria-label="Image with mask: drag to pan, wheel to zoom">
    <div class="content" id="content">
      <img id="image" alt="" draggable="false">
      <img id="crop" class="crop" alt="" draggable="false" hidden>
      <canvas id="overlay" class="overlay" aria-hidden="true"></canvas>
      <canvas id="overlayB" class="overlay compare" aria-hidden="true"></canvas>
    </div>
    <div id="divider" class="divider" role="separator" aria-orientation="vertical" aria-label="Split between the two modes" tabindex="0" hidden></div>
    <div id="crosshair" class="crosshair" hidden></div>
    <div id="refineBox" class="refine-box" hidden></div>
    <div id="promptMarks" class="prompt-marks" aria-hidden="true" hidden></div>
    <div id="brushCursor" class="brush-cursor" hidden></div>
  </figure>
  <figure class="pane" id="paneSide">
    <div class="content" id="contentSide">
      <img id="imageSide" alt="" draggable="false">
      <img id="cropSide" class="crop" alt="" draggable="false" hidden>
      <canvas id="overlaySide" class="overlay" aria-hidden="true"></canvas>
    </div>
  </figure>
</main>
<footer class="info">
  <div id="readout" class="readout" title="What the model says under the cursor (I announces it)"></div>
  <div id="announce" class="sr-only" aria-live="assertive" role="status"></div>
  <div id="timings" class="timings" aria-live="polite"></div>
  <ul id="instanceList" class="instance-list" role="listbox" tabindex="0" aria-label="Instances: arrow keys move the highlight" hidden></ul>
  <ul id="legend" class="legend" aria-label="Classes"></ul>
  <div id="legendTools" class="legend-tools" hidden>
    <span class="muted" id="legendHint">click: hide · alt+click: solo</span>
    <button id="showAll" type="button" class="secondary" title="Show every class of this result">Show all</button>
  </div>
</footer>`;
