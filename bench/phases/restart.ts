// P5: the very first preview vs the first preview after a daemon restart (no goal any more).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { metric, RunningDaemon, startDaemon, tempDir } from '../daemon';
import { type Figure, P5_GOAL } from '../report';
import { MODES, progress, Settings } from '../settings';
import { mb, median, now, r1, r3, summary, timed } from '../stats';
import { bareSession, modeDef } from './steady';

// ---- P5

export async function firstPreview(d: RunningDaemon, mode: string, photo: string) {
  const [c, connectMs] = await timed(() => d.connect('bench-p5'));
  try {
    const t = now();
    const ready = await c.ensureReady(mode);
    const seg = await c.segment({ mode, image: { path: photo } });
    const ms = now() - t;
    // After the timing: the mode's own load and warm-up times (ensureReady answers 0 when it
    // joined a preload already under way) and what the optimised-graph cache did.
    const st = (await c.status()).modes.find((m) => m.mode === mode);
    const { text } = await c.metrics();
    const cache = Object.fromEntries(
      ['hit', 'miss', 'rebuilt', 'off'].map((o) => [o, metric(text, 'seglens_optimized_cache_total', { outcome: o })]).filter(([, n]) => (n as number) > 0),
    );
    return {
      ms,
      statusLoadMs: st?.loadMs,
      statusWarmupMs: st?.warmupMs,
      optimizedCache: cache,
      /** From spawning the daemon to the mask: start, connect + initialize, ensureReady + segment. */
      fromSpawnMs: d.startMs + connectMs + ms,
      connectMs,
      load: ready.load,
      warmup: ready.warmup,
      loadMs: ready.loadMs,
      warmupMs: ready.warmupMs,
      segmentTotalMs: seg.timings.totalMs,
    };
  } finally {
    c.dispose();
  }
}

export function dirSize(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        files++;
        bytes += fs.statSync(p).size;
      }
    }
  };
  try {
    walk(dir);
  } catch {
    /* missing */
  }
  return { files, bytes };
}

export async function measureRestart(s: Settings, photo: string, extraArgs: string[] = []): Promise<Figure> {
  const mode = MODES.preview;
  const first: number[] = [];
  const restart: number[] = [];
  const firstPreviewOnly: number[] = [];
  const restartPreviewOnly: number[] = [];
  // Each side less its mode's warm-up time: what the ratio would be if a warm-up cost nothing.
  const firstNoWarmup: number[] = [];
  const restartNoWarmup: number[] = [];
  const pairs: Record<string, unknown>[] = [];
  let steadyAfterRestart: Record<string, unknown> | undefined;
  const side = (d: RunningDaemon, x: Awaited<ReturnType<typeof firstPreview>>) => ({
    fromSpawnMs: r1(x.fromSpawnMs),
    daemonStartMs: r1(d.startMs),
    connectAndInitializeMs: r1(x.connectMs),
    previewMs: r1(x.ms),
    ensureReady: { load: x.load, warmup: x.warmup, loadMs: r1(x.loadMs), warmupMs: r1(x.warmupMs) },
    modeStatus: { loadMs: x.statusLoadMs === undefined ? undefined : r1(x.statusLoadMs), warmupMs: x.statusWarmupMs === undefined ? undefined : r1(x.statusWarmupMs) },
    optimizedCacheOutcomes: x.optimizedCache,
    segmentTotalMs: x.segmentTotalMs,
  });
  for (let i = 0; i < s.restartPairs; i++) {
    const cacheDir = path.join(tempDir('seglens-bench-p5-'), 'cache');
    const d1 = await startDaemon(cacheDir, extraArgs);
    const a = await firstPreview(d1, mode, photo);
    await d1.stop();
    const persisted = dirSize(cacheDir);
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(cacheDir).sort();
    } catch {
      /* none */
    }
    const d2 = await startDaemon(cacheDir, extraArgs);
    const b = await firstPreview(d2, mode, photo);
    if (i === 0) steadyAfterRestart = await steadyOnHit(d2, mode, photo, Math.max(4, s.runs * 2));
    await d2.stop();
    first.push(a.fromSpawnMs);
    restart.push(b.fromSpawnMs);
    firstNoWarmup.push(a.fromSpawnMs - (a.statusWarmupMs ?? 0));
    restartNoWarmup.push(b.fromSpawnMs - (b.statusWarmupMs ?? 0));
    firstPreviewOnly.push(a.ms);
    restartPreviewOnly.push(b.ms);
    pairs.push({
      first: side(d1, a),
      afterRestart: side(d2, b),
      cacheFolderAfterFirstDaemon: { entries, files: persisted.files, MB: mb(persisted.bytes) },
    });
    progress(`P5 pair ${i + 1}/${s.restartPairs}: first ${a.fromSpawnMs.toFixed(0)} ms, after restart ${b.fromSpawnMs.toFixed(0)} ms (from spawn)`);
  }
  return {
    value: r3(median(restart) / median(first)),
    goal: P5_GOAL,
    detail: {
      mode,
      photo: path.basename(photo),
      measured:
        'time to the first mask: from spawning `dist/daemon.js --listen` to the answer of the first segment (daemon start, connect + initialize, ensureReady, segment), for a daemon on a fresh --cache-dir (the very first preview) and for a new daemon started on the same --cache-dir after the first was stopped (the restart). Counting from the spawn credits nothing the restarted daemon does on its own before the client asks (it may preload recent modes).',
      firstPreviewFromSpawnMs: summary(first),
      afterRestartFromSpawnMs: summary(restart),
      ratioOfPreviewOnly: r3(median(restartPreviewOnly) / median(firstPreviewOnly)),
      previewOnlyMeasured: 'ensureReady + segment as timed by the client once connected',
      warmupIterations: extraArgs.includes('--warmup-iterations') ? Number(extraArgs[extraArgs.indexOf('--warmup-iterations') + 1]) : 'the daemon default',
      ratioWithoutWarmup: r3(median(restartNoWarmup) / median(firstNoWarmup)),
      ratioWithoutWarmupMeasured:
        'computed, not measured: each side less its mode\'s warm-up time (ModeStatus.warmupMs): the ratio no number of warm-up iterations can go below, since the restart saves only in the load',
      steadyAfterRestart,
      pairs,
    },
  };
}

/**
 * P3's ratio on a restarted daemon, whose session came from the optimised-graph cache (a hit):
 * warm requests against a bare session.run of the original file, taking turns. P3's own daemon
 * starts on a fresh cache folder, so its session is never a hit; a user's usually is.
 */
async function steadyOnHit(d: RunningDaemon, mode: string, photo: string, runs: number): Promise<Record<string, unknown>> {
  const bare = await bareSession(modeDef(mode), [photo]);
  const c = await d.connect('bench-p5-steady');
  try {
    const { text } = await c.metrics();
    const request: number[] = [];
    const bareMs: number[] = [];
    const steps = [async () => void request.push((await timed(() => c.segment({ mode, image: { path: photo } })))[1]), async () => void bareMs.push(await bare.run(photo))];
    for (let i = 0; i < runs; i++) for (let k = 0; k < steps.length; k++) await steps[(i + k) % steps.length]();
    return {
      ratio: r3(median(request) / median(bareMs)),
      requestMs: summary(request),
      bareSessionRunMs: summary(bareMs),
      optimizedCacheHits: metric(text, 'seglens_optimized_cache_total', { outcome: 'hit' }),
      measured: `warm seglens/segment round trips on the restarted daemon against a bare session.run of ${path.basename(modeDef(mode).model.file)} (engine session options), in turns`,
    };
  } finally {
    c.dispose();
    await bare.session.release();
  }
}

