// Latency and throughput at several client counts; RSS across a run of requests.
import { procRss, RunningDaemon } from '../daemon';
import type { Figure } from '../report';
import { MODES, progress, Settings } from '../settings';
import { gb, mb, median, now, quantile, r1, r3, summary, timed } from '../stats';

// ---- latency and throughput

export async function measureConcurrency(d: RunningDaemon, s: Settings, list: string[]): Promise<Figure> {
  const mode = MODES.quick;
  const levels: Record<string, unknown>[] = [];
  const throughput: Record<number, number> = {};
  for (const n of s.levels) {
    const clients = await Promise.all(Array.from({ length: n }, (_, k) => d.connect(`bench-load-${n}-${k}`)));
    await clients[0].ensureReady(mode);
    const perClient: number[][] = clients.map(() => []);
    const queue: number[] = [];
    const t = now();
    await Promise.all(
      clients.map(async (c, k) => {
        for (let i = 0; i < s.perClient; i++) {
          const p = list[(k + i) % list.length];
          const [res, ms] = await timed(() => c.segment({ mode, image: { path: p } }));
          perClient[k].push(ms);
          queue.push(res.timings.queueMs);
        }
      }),
    );
    const wall = now() - t;
    for (const c of clients) c.dispose();
    const all = perClient.flat();
    throughput[n] = (all.length / wall) * 1000;
    levels.push({
      clients: n,
      requests: all.length,
      p50Ms: r1(median(all)),
      p95Ms: r1(quantile(all, 0.95)),
      throughputPerS: r3(throughput[n]),
      wallMs: r1(wall),
      daemonQueueMsMedian: r1(median(queue)),
      perClient: perClient.map((xs) => ({ p50Ms: r1(median(xs)), p95Ms: r1(quantile(xs, 0.95)) })),
    });
    progress(`load ${n} client(s): p50 ${median(all).toFixed(0)} ms, p95 ${quantile(all, 0.95).toFixed(0)} ms, ${throughput[n].toFixed(2)} req/s`);
  }
  const hi = Math.max(...s.levels);
  return {
    value: r3(throughput[hi] / throughput[1]),
    goal: 'report (throughput with 8 clients / with 1; the engine runs one inference at a time, so about 1 is expected)',
    detail: {
      mode,
      measured: `each client on its own connection sends ${s.perClient} seglens/segment requests one after another (photos in turn), all clients at once; latency = client-side round trip; p50/p95 over all requests of a level, and per client`,
      requestsPerClient: s.perClient,
      levels,
    },
  };
}

// ---- RSS across a run of requests

export async function measureRssRun(d: RunningDaemon, s: Settings, list: string[]): Promise<Figure> {
  const mode = MODES.quick;
  const c = await d.connect('bench-rss');
  await c.ensureReady(mode);
  const samples: { request: number; rssMB: number; procRssMB?: number }[] = [];
  const sample = async (i: number) => {
    const st = await c.status();
    const pr = procRss(d.pid);
    samples.push({ request: i, rssMB: mb(st.rssBytes), procRssMB: pr ? mb(pr.rss) : undefined });
  };
  await sample(0);
  const lat: number[] = [];
  for (let i = 1; i <= s.rssRequests; i++) {
    const [, ms] = await timed(() => c.segment({ mode, image: { path: list[i % list.length] } }));
    lat.push(ms);
    if (i % s.rssEvery === 0 || i === s.rssRequests) await sample(i);
  }
  c.dispose();
  const rss = samples.map((x) => x.rssMB);
  const peak = procRss(d.pid);
  const afterFirstTenth = samples.find((x) => x.request >= s.rssRequests / 10) ?? samples[0];
  progress(`RSS run: ${rss[0]} MB at start, ${Math.max(...rss)} MB max, ${rss[rss.length - 1]} MB at the end of ${s.rssRequests} requests`);
  return {
    value: gb(Math.max(...rss) * 1048576),
    goal: 'report (peak daemon RSS in GB during the run; flat = no leak)',
    detail: {
      mode,
      requests: s.rssRequests,
      note: s.quick ? `--quick: ${s.rssRequests} requests instead of 200` : '200 requests',
      measured: 'one client sends the requests one after another (photos in turn); status.rssBytes (and /proc VmRSS) sampled every ' + s.rssEvery + ' requests; this daemon had already served P1, P2 and the load levels (mode fast only)',
      startMB: rss[0],
      endMB: rss[rss.length - 1],
      maxMB: Math.max(...rss),
      growthFromFirstTenthToEndMB: rss[rss.length - 1] - afterFirstTenth.rssMB,
      daemonPeakRssMB: peak ? mb(peak.hwm) : undefined,
      latencyMs: summary(lat),
      samples,
    },
  };
}

