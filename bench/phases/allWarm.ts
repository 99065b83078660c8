// P7: daemon RSS with the four ISNet modes warm.
import * as path from 'node:path';
import { procRss, startDaemon, tempDir } from '../daemon';
import type { Figure } from '../report';
import { MODES, progress } from '../settings';
import { gb, mb } from '../stats';

// ---- P7

export async function measureAllWarm(list: string[]): Promise<Figure> {
  const cacheDir = path.join(tempDir('seglens-bench-p7-'), 'cache');
  const d = await startDaemon(cacheDir);
  try {
    const c = await d.connect('bench-p7');
    for (const m of MODES.all) await c.ensureReady(m);
    const warm = await c.status();
    const warmProc = procRss(d.pid);
    for (const m of MODES.all) await c.segment({ mode: m, image: { path: list[0] } });
    const used = await c.status();
    const usedProc = procRss(d.pid);
    c.dispose();
    const states = Object.fromEntries(used.modes.map((m) => [m.mode, m.state]));
    progress(`P7: RSS ${mb(warm.rssBytes)} MB with ${MODES.all.join(', ')} warm, ${mb(used.rssBytes)} MB after one request each`);
    return {
      value: gb(Math.max(warm.rssBytes, used.rssBytes)),
      goal: '<= 1.5',
      detail: {
        modes: MODES.all,
        measured:
          'a fresh daemon: ensureReady on each of the four ISNet modes in turn, then one request per mode on one photo; status.rssBytes after each step; value = the larger',
        rssWarmGB: gb(warm.rssBytes),
        rssAfterOneRequestEachGB: gb(used.rssBytes),
        procVmRssGB: { warm: warmProc ? gb(warmProc.rss) : undefined, afterRequests: usedProc ? gb(usedProc.rss) : undefined },
        peakVmHwmGB: usedProc ? gb(usedProc.hwm) : undefined,
        states,
      },
    };
  } finally {
    await d.stop();
  }
}

