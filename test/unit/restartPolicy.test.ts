import { toArgv } from '../../daemon/api/daemonArgs';
import { limitsArgs, limitsDiffer } from '../../extension/daemon/daemonLimits';
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { RestartPolicy } from '../../extension/daemon/restartPolicy';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test('restart delays grow 0.5 s, 1 s, 2 s, 4 s', () => {
  const c = clock();
  const p = new RestartPolicy({ now: c.now });
  const delays = [];
  for (let i = 0; i < 4; i++) {
    const d = p.crashed();
    assert.equal(d.action, 'restart');
    if (d.action === 'restart') delays.push(d.delayMs);
    c.advance(1_000);
  }
  assert.deepEqual(delays, [500, 1000, 2000, 4000]);
});

test('the fifth crash within three minutes gives up', () => {
  const c = clock();
  const p = new RestartPolicy({ now: c.now });
  for (let i = 0; i < 4; i++) {
    assert.equal(p.crashed().action, 'restart');
    c.advance(30_000);
  }
  assert.deepEqual(p.crashed(), { action: 'giveUp', crashes: 5 });
});

test('crashes older than the window are forgotten, so the delay starts small again', () => {
  const c = clock();
  const p = new RestartPolicy({ now: c.now });
  for (let i = 0; i < 4; i++) p.crashed();
  c.advance(3 * 60_000);
  assert.equal(p.recentCrashes, 0);
  assert.deepEqual(p.crashed(), { action: 'restart', delayMs: 500, crashes: 1 });
});

test('five crashes spread over more than three minutes never give up', () => {
  const c = clock();
  const p = new RestartPolicy({ now: c.now });
  for (let i = 0; i < 10; i++) {
    assert.equal(p.crashed().action, 'restart');
    c.advance(50_000); // at most 4 in any 3-minute window
  }
});

test('reset forgets every crash (the user pressed Restart)', () => {
  const c = clock();
  const p = new RestartPolicy({ now: c.now });
  for (let i = 0; i < 5; i++) p.crashed();
  p.reset();
  assert.deepEqual(p.crashed(), { action: 'restart', delayMs: 500, crashes: 1 });
});

test('the delay is capped', () => {
  const c = clock();
  const p = new RestartPolicy({ now: c.now, maxCrashes: 100, maxDelayMs: 3_000 });
  let last = 0;
  for (let i = 0; i < 8; i++) {
    const d = p.crashed();
    if (d.action === 'restart') last = d.delayMs;
  }
  assert.equal(last, 3_000);
});

// ---------------------------------------------------------------- keep-alive and memory settings (issue #14)

test("a window's keep-alive and memory settings reach the daemon's flags; a shared daemon with others is told apart", () => {
  const limits = { keepAliveMinutes: 30, maxLoadedModels: 0, maxRssMb: 0 };
  assert.deepEqual(toArgv(limitsArgs({ keepAliveMinutes: 5, maxLoadedModels: 1, maxRssMb: 2048 })), ['--keep-alive-minutes', '5', '--max-loaded-models', '1', '--max-rss-mb', '2048']);
  assert.deepEqual(limitsDiffer(limits, { keepAliveMs: 30 * 60_000, maxLoadedModels: 0, maxRssBytes: 0 }), [], 'the same settings');
  assert.deepEqual(limitsDiffer(limits, {}), [], 'an older daemon that does not say');
  const differ = limitsDiffer({ keepAliveMinutes: 5, maxLoadedModels: 1, maxRssMb: 2048 }, { keepAliveMs: 30 * 60_000, maxLoadedModels: 0, maxRssBytes: 0 });
  assert.equal(differ.length, 3);
  assert.match(differ.join('; '), /keep-alive 5 min here, 30 min in the daemon/);
  assert.match(differ.join('; '), /memory budget 2048 MB here, none in the daemon/);
});
