// The embedding cache of prompt modes (daemon/server/embeddingCache.ts, issue 25) alone: single
// flight, a failed run not kept, LRU within the byte budget sparing what requests use, tokens'
// bytes, dropping a mode.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EmbeddingCache } from '../../daemon/server/embeddingCache';

const MB = 1024 * 1024;
function cache(budget: number) {
  const dropped: string[] = [];
  return { c: new EmbeddingCache(budget, (keys) => dropped.push(...keys)), dropped };
}
const made = (bytes = 4 * MB) => async () => ({ width: 10, height: 10, encoderMs: 5, bytes });

describe('embedding cache', () => {
  test('racing acquires share one run; a failed run is not kept', async () => {
    const { c } = cache(100 * MB);
    let runs = 0;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const compute = async () => {
      runs++;
      await gate;
      return made()();
    };
    const all = Promise.all(Array.from({ length: 5 }, () => c.acquire('k', 'm', compute)));
    open();
    const leases = await all;
    assert.equal(runs, 1);
    assert.deepEqual(leases.map((l) => l.outcome).sort(), ['computed', 'joined', 'joined', 'joined', 'joined']);
    assert.equal(leases[0].entry.active, 5, 'every joiner holds it');
    for (const l of leases) l.release();
    assert.equal((await c.acquire('k', 'm', compute)).outcome, 'cached');
    await assert.rejects(c.acquire('bad', 'm', async () => Promise.reject(new Error('boom'))), /boom/);
    assert.equal((await c.acquire('bad', 'm', made())).outcome, 'computed', 'tried again');
  });

  test('past the budget the least recently used goes, never one in use; tokens count', async () => {
    const { c, dropped } = cache(9 * MB);
    (await c.acquire('a', 'm', made())).release();
    const b = await c.acquire('b', 'm', made()); // held
    (await c.acquire('a', 'm', made())).release(); // a is the most recently used
    (await c.acquire('c', 'm', made())).release();
    assert.deepEqual(dropped, ['a'], 'b is in use, so a goes though b is older');
    b.release();
    assert.equal(c.totalBytes, 8 * MB, 'within the budget: nothing more goes');
    const held = await c.acquire('c', 'm', made());
    c.addToken(held.entry, 't1', { bytes: 3 * MB, best: 0, candidates: 1 }, []);
    assert.deepEqual(dropped, ['a', 'b'], "a token's bytes count: b, now the least recently used, goes");
    c.addToken(held.entry, 't2', { bytes: 1 * MB, best: 0, candidates: 1 }, ['t1']);
    assert.equal(c.totalBytes, 5 * MB);
    assert.deepEqual([...held.entry.tokens.keys()], ['t2']);
    held.release();
    c.dropMode('m');
    assert.equal(c.totalBytes, 0);
    assert.equal(c.count('m'), 0);
    assert.deepEqual(dropped.slice(-1), ['c']);
  });
  test('an interactive request joining a run raises it; a batch one does not', async () => {
    const { c } = cache(100 * MB);
    let raised = 0;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const compute = async () => {
      await gate;
      return made()();
    };
    const starter = c.acquire('k', 'm', compute, { interactive: false, promote: () => raised++ });
    const batchJoin = c.acquire('k', 'm', compute, { interactive: false, promote: () => assert.fail("a joiner's own promote is not called") });
    assert.equal(raised, 0, 'a batch joiner leaves it at batch priority');
    const click = c.acquire('k', 'm', compute, { interactive: true, promote: () => assert.fail("a joiner's own promote is not called") });
    assert.equal(raised, 1, "the click raised the starter's run");
    open();
    const outcomes = (await Promise.all([starter, batchJoin, click])).map((l) => l.outcome);
    assert.deepEqual(outcomes, ['computed', 'joined', 'joined']);
  });
});
