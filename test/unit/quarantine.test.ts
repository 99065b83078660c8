// The quarantine of inputs that took the engine down (daemon/engine/host/quarantine.ts): refused
// after the second strike, for its time only, then forgotten; bounded whatever crashes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { inputHash } from '../../daemon/engine/host/inputGuard';
import { Quarantine, hashOfInput } from '../../daemon/engine/host/quarantine';

describe('Quarantine', () => {
  it('refuses an input after its second strike, for forMs, then forgets it', () => {
    let now = 1000;
    const q = new Quarantine({ forMs: 60_000, now: () => now });
    assert.equal(q.active, false);
    assert.equal(q.strike('a'), false, 'one crash is not enough');
    assert.equal(q.refusedFor('a'), 0);
    assert.equal(q.active, false);
    assert.equal(q.strike('a'), true, 'the second crash quarantines it');
    assert.equal(q.active, true);
    assert.equal(q.refusedFor('a'), 60_000);
    assert.equal(q.refusedFor('b'), 0, 'other inputs pass');
    now += 59_999;
    assert.equal(q.refusedFor('a'), 1);
    now += 1;
    assert.equal(q.refusedFor('a'), 0, 'refused for a while, not forever');
    assert.equal(q.active, false);
    assert.equal(q.strike('a'), false, 'forgotten: it starts again from one strike');
  });

  it('keeps at most 1000 inputs, forgetting the oldest first', () => {
    const q = new Quarantine();
    q.strike('first');
    for (let i = 0; i < 1000; i++) q.strike(`x${i}`);
    assert.equal(q.strike('first'), false, 'the oldest entry was dropped, so this is its first strike again');
    assert.equal(q.strike('x999'), true);
  });
});

describe('hashOfInput', () => {
  it('hashes bytes and regular files alike; leaves FIFOs, folders and large files to the engine', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-quarantine-'));
    try {
      const bytes = Buffer.from('some image bytes');
      const file = path.join(dir, 'a.png');
      fs.writeFileSync(file, bytes);
      assert.equal(await hashOfInput({ bytes }, 100), inputHash(bytes));
      assert.equal(await hashOfInput({ path: file }, 100), inputHash(bytes), 'the same content by path');
      assert.equal(await hashOfInput({ path: file }, 4), undefined, 'over the size cap: not read');
      assert.equal(await hashOfInput({ path: dir }, 100), undefined);
      assert.equal(await hashOfInput({ path: path.join(dir, 'missing') }, 100), undefined);
      if (process.platform !== 'win32') {
        const fifo = path.join(dir, 'fifo');
        execFileSync('mkfifo', [fifo]);
        assert.equal(await hashOfInput({ path: fifo }, 100), undefined, 'a FIFO is never opened');
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
