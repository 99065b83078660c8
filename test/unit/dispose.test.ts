// The extension's Disposable base (extension/util/dispose.ts), and ModelStore built on it:
// everything registered is disposed once, newest first, its event emitter included.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Disposable } from '../../extension/util/dispose';
import { fakeVscode, installFakeVscode } from '../helpers/fakeVscodeModule';

class Owner extends Disposable {
  register<T extends { dispose(): void }>(d: T): T {
    return this._register(d);
  }
}

const recorder = (log: string[], name: string) => ({ dispose: () => log.push(name) });

test('dispose() disposes what was registered, newest first, once', () => {
  const log: string[] = [];
  const o = new Owner();
  o.register(recorder(log, 'a'));
  o.register(recorder(log, 'b'));
  o.register(recorder(log, 'c'));
  o.dispose();
  o.dispose();
  assert.deepEqual(log, ['c', 'b', 'a']);
});

test('a disposable registered after dispose() is disposed at once', () => {
  const log: string[] = [];
  const o = new Owner();
  o.dispose();
  o.register(recorder(log, 'late'));
  assert.deepEqual(log, ['late']);
});

test('one throwing does not keep the others alive; the first error is rethrown', () => {
  const log: string[] = [];
  const o = new Owner();
  o.register(recorder(log, 'a'));
  o.register({
    dispose: () => {
      throw new Error('boom');
    },
  });
  o.register(recorder(log, 'c'));
  assert.throws(() => o.dispose(), /boom/);
  assert.deepEqual(log, ['c', 'a']);
});

/** A stand-in for vscode.EventEmitter that remembers listeners and whether it was disposed. */
class FakeEmitter<T> {
  readonly listeners = new Set<(t: T) => void>();
  disposed = false;
  readonly event = (l: (t: T) => void) => {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  };
  fire(t: T): void {
    for (const l of this.listeners) l(t);
  }
  dispose(): void {
    this.disposed = true;
    this.listeners.clear();
  }
}

test('ModelStore.dispose() drops its subscriptions and disposes its emitter', async () => {
  installFakeVscode();
  const emitters: FakeEmitter<unknown>[] = [];
  const trust = new FakeEmitter<void>();
  Object.assign(fakeVscode, {
    EventEmitter: class extends FakeEmitter<unknown> {
      constructor() {
        super();
        emitters.push(this);
      }
    },
    workspace: { onDidGrantWorkspaceTrust: trust.event, isTrusted: true },
  });
  const { ModelStore } = await import('../../extension/models/modelStore');
  const sup = { connect: new FakeEmitter(), state: new FakeEmitter(), model: new FakeEmitter(), modes: new FakeEmitter() };
  const supervisor = {
    onDidConnect: sup.connect.event,
    onModelState: sup.model.event,
    onModesChanged: sup.modes.event,
    onDidChangeState: sup.state.event,
  };
  const store = new ModelStore(supervisor as never, ['fast']);
  assert.equal(emitters.length, 1, 'the store made its one emitter');
  const subscribed = [...Object.values(sup), trust].map((e) => e.listeners.size);
  assert.deepEqual(subscribed, [1, 1, 1, 1, 1]);
  store.dispose();
  assert.deepEqual([...Object.values(sup), trust].map((e) => e.listeners.size), [0, 0, 0, 0, 0]);
  assert.equal(emitters[0].disposed, true, "the store's onDidChange emitter is disposed");
});
