// The result cache's folder stays bounded: collecting (shared with the optimised-graph cache)
// drops the least recently used entries over the size budget and entries past the age limit.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { SegmentResult } from '../../daemon/api/protocol';
import { RESULTS_DIR, ResultCache } from '../../daemon/results/resultCache';

const result = (i: number): SegmentResult => ({
  mode: 'm',
  width: 1,
  height: 1,
  maskPng: 'x'.repeat(1000) + i,
  classes: [],
  wasWarm: true,
  timings: { queueMs: 0, decodeMs: 0, preprocessMs: 0, inferenceMs: 1, postprocessMs: 0, totalMs: 1 },
});
const key = (i: number) => String(i).padStart(64, '0');

test('result cache: over budget, the least recently used go; past the age limit, all unused go', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-results-'));
  try {
    const policy = { maxBytes: 0, maxAgeDays: 30 };
    const cache = new ResultCache(dir, policy, () => undefined);
    for (let i = 0; i < 5; i++) await cache.put(key(i), result(i));
    await cache.collect(); // the one the first store started
    const files = path.join(dir, RESULTS_DIR);
    policy.maxBytes = 3 * fs.statSync(path.join(files, `${key(0)}.json`)).size + 10; // three entries fit
    // Entry i was last used 10 - i minutes ago; then entry 0 is read (used now).
    for (let i = 0; i < 5; i++) fs.utimesSync(path.join(files, `${key(i)}.json`), new Date(Date.now() - (10 - i) * 60_000), new Date(Date.now() - (10 - i) * 60_000));
    assert.equal((await cache.get(key(0)))?.maskPng, result(0).maskPng, 'a hit makes the entry recent');
    assert.equal((await cache.get(key(0)) as Partial<SegmentResult> | undefined)?.wasWarm, undefined, 'what depends on the moment is not stored');
    await cache.collect();
    const left = fs.readdirSync(files).filter((n) => n.endsWith('.json') && n !== 'model-hashes.json').sort();
    assert.deepEqual(left, [key(0), key(3), key(4)].map((k) => `${k}.json`));
    await cache.collect(Date.now() + 31 * 86_400_000);
    assert.deepEqual(fs.readdirSync(files).filter((n) => /^[0-9]{64}\.json$/.test(n)), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
