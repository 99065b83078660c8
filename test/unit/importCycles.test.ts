// The import-cycle check of the lint rule seglens/import-layers, on the repository's own files:
// an import that closes a circle (issue #21 removed three) is named with the whole circle.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/repo';
import { cycleThrough } from '../tools/importCycles.mjs';

const file = (p: string) => path.join(repoRoot, p);

test('an import back into the engine contract from its pipeline closes a cycle and is named', () => {
  const why = cycleThrough(file('daemon/engine/engine.ts'), './pipeline/thumbnail');
  assert.ok(why, 'the cycle engine.ts -> pipeline/thumbnail.ts -> engine.ts goes unreported');
  assert.match(why, /import cycle: .*daemon\/engine\/engine\.ts -> .*pipeline\/thumbnail\.ts -> .*daemon\/engine\/engine\.ts/);
});

test('a cycle through several files of one folder is found', () => {
  // galleryDeps.ts is the leaf the panel, exports and manager share; importing the manager back closes a circle.
  assert.ok(cycleThrough(file('extension/gallery/galleryDeps.ts'), './galleryManager'));
});

test('an import down to a leaf is no cycle', () => {
  assert.equal(cycleThrough(file('daemon/engine/pipeline/thumbnail.ts'), '../engine'), undefined);
  assert.equal(cycleThrough(file('daemon/engine/engine.ts'), 'node:fs'), undefined);
});
