// What every SegLens webview page shares: a strict CSP (nothing but our nonce'd script, images
// from the webview's own origin, data: and blob:, our stylesheets) and settings passed in a data
// attribute. The preview (extension/preview/previewHtml.ts) and the gallery use it.
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';

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

export interface PageParts {
  /** Files under the extension, as path segments: the bundle, and the page's own stylesheet
   * (linked after media/webview/base.css, which every page shares). */
  script: string[];
  style: string[];
  title: string;
  /** Passed to the page in `data-settings` (read by the page's own script). */
  settings: unknown;
  /** The page's markup between <body> and the script tag. */
  body: string;
}

/** The HTML document around a page's markup: CSP with a nonce, stylesheet, settings, script. */
export function webviewDocument(webview: vscode.Webview, extensionUri: vscode.Uri, parts: PageParts): string {
  const { nonce, csp } = pageSecurity(webview);
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...parts.script));
  const styles = [['media', 'webview', 'base.css'], parts.style].map((p) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...p)));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles.map((href) => `<link rel="stylesheet" href="${href.toString()}">`).join('\n')}
<title>${parts.title}</title>
</head>
<body data-settings="${escapeAttr(JSON.stringify(parts.settings))}">
${parts.body}
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
