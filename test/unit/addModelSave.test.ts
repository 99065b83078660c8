// Issue #13, item 7: "Add Model…" must not lose an edit of seglens.customModels made while its
// dialogue waited (here: between reading the setting and the user's "Replace" answer).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { UserModeDefinition } from '../../daemon/api/protocol';
import { fakeSettings, installFakeVscode } from '../helpers/fakeVscodeModule';

installFakeVscode();
const { saveDefinition } = require('../../extension/models/addModel/addModel') as typeof import('../../extension/models/addModel/addModel');

const KEY = 'seglens.customModels';
const def = (id: string, label: string) => ({ id, label, task: 'binary', model: `/m/${id}.onnx` }) as unknown as UserModeDefinition;
const log = { info: () => undefined };
after(() => fakeSettings.clear());

test('an entry added while the Replace question was open is kept; the replaced one is replaced', async () => {
  fakeSettings.set(KEY, [def('mine', 'old')]);
  let asked = 0;
  const saved = await saveDefinition(def('mine', 'new'), async () => {
    asked++;
    // Meanwhile, in the Settings UI or another window:
    fakeSettings.set(KEY, [...(fakeSettings.get(KEY) as unknown[]), def('theirs', 'added elsewhere')]);
    return true;
  }, log);
  assert.equal(asked, 1);
  assert.deepEqual(saved, { replaced: true });
  assert.deepEqual(fakeSettings.get(KEY), [def('mine', 'new'), def('theirs', 'added elsewhere')]);
});

test('a new id is appended to the current list without a question; Cancel writes nothing', async () => {
  fakeSettings.set(KEY, [def('a', 'A')]);
  const saved = await saveDefinition(def('b', 'B'), async () => assert.fail('asked for a new id'), log);
  assert.deepEqual(saved, { replaced: false });
  assert.deepEqual(fakeSettings.get(KEY), [def('a', 'A'), def('b', 'B')]);
  assert.equal(await saveDefinition(def('a', 'other'), async () => false, log), undefined);
  assert.deepEqual(fakeSettings.get(KEY), [def('a', 'A'), def('b', 'B')]);
});
