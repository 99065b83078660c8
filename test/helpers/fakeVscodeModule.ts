// A stand-in for the `vscode` module, for unit tests of extension code that only needs a few
// of its values (Uri.joinPath, a webview's asWebviewUri and cspSource, a status bar item). Installed into Node's
// module loader: import the code under test dynamically after calling installFakeVscode().
import Module from 'node:module';
import pkg from '../../package.json';

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

class FakeEventEmitter<T> {
  private listeners: ((e: T) => void)[] = [];
  event = (l: (e: T) => void) => {
    this.listeners.push(l);
    return { dispose: () => (this.listeners = this.listeners.filter((x) => x !== l)) };
  };
  fire(e: T): void {
    for (const l of this.listeners) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class FakeMarkdownString {
  isTrusted?: boolean | { enabledCommands: readonly string[] };
  constructor(
    readonly value = '',
    readonly supportThemeIcons = false,
  ) {}
}

/** Status bar items created through the fake `window.createStatusBarItem`, newest last. */
export const statusBarItems: { id: string; text: string; tooltip?: unknown; command?: string }[] = [];

/** The default package.json declares for a setting (contributes.configuration). */
function declaredDefault(key: string): unknown {
  const props = (pkg as { contributes: { configuration: { properties: Record<string, { default?: unknown }> } } }).contributes.configuration.properties;
  return props[key]?.default;
}

/** Settings read through the fake `workspace.getConfiguration(...).get(key, default)`. */
export const fakeSettings = new Map<string, unknown>();
/** Workspace-scope values (.vscode/settings.json): they win over fakeSettings, as in VS Code. */
export const fakeWorkspaceSettings = new Map<string, unknown>();

function settingValue(key: string, d?: unknown): unknown {
  if (fakeWorkspaceSettings.has(key)) return fakeWorkspaceSettings.get(key);
  return fakeSettings.has(key) ? fakeSettings.get(key) : (d ?? declaredDefault(key));
}

export const fakeVscode = {
  Uri: FakeUri,
  EventEmitter: FakeEventEmitter,
  MarkdownString: FakeMarkdownString,
  ThemeColor: class {
    constructor(readonly id: string) {}
  },
  StatusBarAlignment: { Left: 1, Right: 2 },
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  window: {
    createStatusBarItem(id: string) {
      const item = { id, text: '', show: () => undefined, dispose: () => undefined };
      statusBarItems.push(item);
      return item;
    },
  },
  workspace: {
    isTrusted: true,
    // Unset keys answer the caller's default, else package.json's, as VS Code does.
    getConfiguration: (section: string) => ({
      get: <T>(key: string, d?: T) => settingValue(`${section}.${key}`, d),
      inspect: (key: string) => ({
        key: `${section}.${key}`,
        defaultValue: declaredDefault(`${section}.${key}`),
        globalValue: fakeSettings.get(`${section}.${key}`),
        workspaceValue: fakeWorkspaceSettings.get(`${section}.${key}`),
      }),
      // ConfigurationTarget.Global (1) writes the user value, anything else the workspace's.
      update: async (key: string, value: unknown, target?: number) => {
        (target === 1 ? fakeSettings : fakeWorkspaceSettings).set(`${section}.${key}`, value);
      },
    }),
    onDidChangeConfiguration: () => ({ dispose: () => undefined }),
  },
};

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
