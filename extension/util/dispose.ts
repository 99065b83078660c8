// A base for objects that own other disposables, as VS Code's media-preview does: register
// each subscription, emitter or child once with _register(); dispose() releases them all,
// newest first (so what was built on top goes before what it stands on), exactly once.
import type * as vscode from 'vscode';

/** Disposes every item, newest first; one throwing does not keep the others alive. */
function disposeAll(items: vscode.Disposable[]): void {
  let first: unknown;
  while (items.length) {
    try {
      items.pop()!.dispose();
    } catch (err) {
      first ??= err;
    }
  }
  if (first !== undefined) throw first;
}

export abstract class Disposable implements vscode.Disposable {
  private _isDisposed = false;
  private readonly _disposables: vscode.Disposable[] = [];

  protected get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) return;
    this._isDisposed = true;
    disposeAll(this._disposables);
  }

  /** Owns `d` from now on; registered after dispose(), it is disposed at once. */
  protected _register<T extends vscode.Disposable>(d: T): T {
    if (this._isDisposed) d.dispose();
    else this._disposables.push(d);
    return d;
  }
}
