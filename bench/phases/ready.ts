// P1 (cold vs warm ensureReady) and P2 (10 clients racing on a cold mode).
import type { DaemonClient } from '../../daemon/api/client';
import { counters, RunningDaemon } from '../daemon';
import type { Figure } from '../report';
import { MODES, progress, Settings } from '../settings';
import { median, r1, r3, r4, summary, timed } from '../stats';

// ---- P1, P2

export async function measureReady(d: RunningDaemon, s: Settings, ctl: DaemonClient): Promise<Figure> {
  const mode = MODES.ready;
  const cold: number[] = [];
  const warm: number[] = [];
  const connect: number[] = [];
  const runs: Record<string, unknown>[] = [];
  for (let i = 0; i < s.runs; i++) {
    await ctl.unload(); // everything cold again (the first run starts on a fresh daemon)
    const a = await d.connect('bench-p1-first');
    const [ra, coldMs] = await timed(() => a.ensureReady(mode));
    const [b, connectMs] = await timed(() => d.connect('bench-p1-second'));
    const [rb, warmMs] = await timed(() => b.ensureReady(mode));
    a.dispose();
    b.dispose();
    if (ra.load !== 'ran' || rb.warmup !== 'skipped') progress(`P1 run ${i + 1}: unexpected outcomes first ${ra.load}/${ra.warmup}, second ${rb.load}/${rb.warmup}`);
    cold.push(coldMs);
    warm.push(warmMs);
    connect.push(connectMs);
    runs.push({
      coldMs: r1(coldMs),
      warmMs: r3(warmMs),
      first: { load: ra.load, warmup: ra.warmup, daemonElapsedMs: ra.elapsedMs, loadMs: ra.loadMs, warmupMs: ra.warmupMs },
      second: { load: rb.load, warmup: rb.warmup, daemonElapsedMs: rb.elapsedMs, connectAndInitializeMs: r1(connectMs) },
    });
  }
  progress(`P1: cold ensureReady median ${median(cold).toFixed(0)} ms, second client's ${median(warm).toFixed(2)} ms`);
  const warmMedian = median(warm);
  return {
    value: r4(warmMedian / median(cold)),
    goal: '<= 0.01 and the warm ensureReady under 50 ms',
    detail: {
      mode,
      measured: "client-side round trip of seglens/ensureReady: a first client on the cold mode (after unload), then a second, newly connected client on the now warm mode",
      coldEnsureReadyMs: summary(cold),
      secondClientEnsureReadyMs: { ...summary(warm), median: r3(warmMedian), max: r3(Math.max(...warm)) },
      secondClientConnectAndInitializeMs: summary(connect),
      warmUnder50ms: warmMedian < 50,
      met: warmMedian / median(cold) <= 0.01 && warmMedian < 50,
      runs,
    },
  };
}

export async function measureRace(d: RunningDaemon, s: Settings, ctl: DaemonClient): Promise<Figure> {
  const mode = MODES.ready;
  const n = 10;
  const races: Record<string, unknown>[] = [];
  const warmupCounts: number[] = [];
  for (let i = 0; i < s.races; i++) {
    await ctl.unload();
    const clients = await Promise.all(Array.from({ length: n }, (_, k) => d.connect(`bench-p2-${k}`)));
    const before = await counters(ctl, mode);
    const [results, ms] = await timed(() => Promise.all(clients.map((c) => c.ensureReady(mode))));
    const after = await counters(ctl, mode);
    const status = await ctl.status();
    for (const c of clients) c.dispose();
    const tally = (k: 'load' | 'warmup') => results.reduce<Record<string, number>>((acc, r) => ((acc[r[k]] = (acc[r[k]] ?? 0) + 1), acc), {});
    const warmups = after.warmups - before.warmups;
    warmupCounts.push(warmups);
    races.push({
      warmupRuns: warmups,
      modelLoads: after.loads - before.loads,
      loadOutcomes: tally('load'),
      warmupOutcomes: tally('warmup'),
      statusWarmups: status.modes.find((m) => m.mode === mode)?.warmups,
      wallMs: r1(ms),
    });
  }
  const worst = warmupCounts.reduce((w, x) => (Math.abs(x - 1) > Math.abs(w - 1) ? x : w), warmupCounts[0]);
  progress(`P2: warm-up runs per race ${warmupCounts.join(', ')}`);
  return {
    value: worst,
    goal: 'exactly 1',
    detail: {
      mode,
      clients: n,
      measured: `seglens_warmup_runs_total{mode="${mode}"} before and after ${n} newly connected clients send ensureReady at once on the cold mode (after unload); value = the race farthest from 1`,
      races,
    },
  };
}

