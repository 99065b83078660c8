// A stand-in for the `vscode` module, for unit tests of extension code that only needs a few
// of its values (Uri.joinPath, a webview's asWebviewUri and cspSource). Installed into Node's
// module loader: import the code under test dynamically after calling installFakeVscode().
import Module from 'node:module';

export class FakeUri {
  constructor(readonly path: string) {}
  static joinPath(base: FakeUri, ...parts: string[]): FakeUri {
    return new FakeUri([base.path.replace(/\/$/, ''), ...parts].join('/'));
  }
  static file(p: string): FakeUri {
    return new FakeUri(p);
  }
  toString(): string {
    return `file://${this.path}`;
  }
}

export const fakeVscode = { Uri: FakeUri };

let installed = false;
export function installFakeVscode(): void {
  if (installed) return;
  installed = true;
  const M = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
  const load = M._load;
  M._load = function (request: string, parent: unknown, isMain: boolean) {
    if (request === 'vscode') return fakeVscode;
    return load.call(this, request, parent, isMain);
  };
}

/** A webview as previewHtml sees it: resources under a vscode-resource-like origin. */
export const fakeWebview = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  asWebviewUri: (u: FakeUri) => `https://file+.vscode-resource.vscode-cdn.net${u.path}`,
};
