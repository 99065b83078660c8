// What every SegLens webview page shares: a strict CSP (nothing but our nonce'd script, images
// from the webview's own origin, data: and blob:, our stylesheets) and settings passed in a data
// attribute. The preview (extension/preview/previewHtml.ts) and the gallery use it.
import * as crypto from 'node:crypto';
import type * as vscode from 'vscode';

export interface PageSecurity {
  nonce: string;
  /** The Content-Security-Policy meta value. */
  csp: string;
}

export function pageSecurity(webview: vscode.Webview): PageSecurity {
  const nonce = crypto.randomBytes(16).toString('base64');
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data: blob:`,
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return { nonce, csp };
}

/** For a double-quoted HTML attribute. */
export function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
